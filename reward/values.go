package reward

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// numVal is a number written in a text, with what a reader takes from
// around it: its written precision, percent, unit or currency, a
// multiplier word, a direction word ("fell by"), and where it stands.
type numVal struct {
	start, end int     // byte offsets of the whole mention in the text
	value      float64 // the signed value, multipliers applied
	decimals   int     // written precision in decimal places; negative for tens, thousands (1.5k: -2)
	percent    bool
	unit       unit
	hasUnit    bool
	times      bool // "2.7x", "2.7 times", "2.7-fold"
	ratio      bool // "4:1", "4 to 1": value is the quotient
	signed     bool // an explicit sign or a direction word set the sign
	direction  int  // -1 "fell by", +1 "rose by", 0 none
	bold       bool
	paren      bool
	approx     bool // "about", "~", "≈", "roughly"
	context    bool // a level in "from X to Y", not the answer
}

// fromToRe ends in the "from" or "to" of a "from X to Y" phrase.
var fromToRe = regexp.MustCompile(`(?i)\bfrom\s+(?:about\s+|approximately\s+)?\S*\s*$|\bfrom\s+\S+(?:\s+\S+){0,3}\s+to\s+(?:about\s+|approximately\s+)?\S*\s*$`)

// mergeCompound joins "17 hours 30 minutes", "27 weeks and 3 days", "5 ft
// 10 in": a quantity in one dimension written in two units. It returns
// what to append to out (nothing when n joined the last one).
func mergeCompound(text string, out *[]numVal, n numVal) []numVal {
	if len(*out) == 0 || !n.hasUnit {
		return []numVal{n}
	}
	last := &(*out)[len(*out)-1]
	if !last.hasUnit || last.unit.dim != n.unit.dim || last.unit.factor <= n.unit.factor || strings.HasPrefix(n.unit.dim, "currency:") || n.unit.dim == "temperature" {
		return []numVal{n}
	}
	between := strings.TrimSpace(text[last.end:n.start])
	if between != "" && between != "and" && between != "," && between != ", and" {
		return []numVal{n}
	}
	base := last.unit.toBase(last.value) + n.unit.toBase(n.value)
	last.value = last.unit.fromBase(base)
	last.decimals = n.decimals + int(math.Floor(math.Log10(n.unit.factor/last.unit.factor)))
	last.end = n.end
	return nil
}

var (
	numRe = regexp.MustCompile(`[-+−–]?(?:(?:US\$|[$€£¥₹₩])\s?)?[-+−–]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+−]?\d+|\s?[x×]\s?10\^?[-+−]?\d+)?`)
	// afterNumRe reads what may follow a number: a multiplier word, a
	// percent, a times sign.
	multRe    = regexp.MustCompile(`^(?i)\s?(thousand|million|billion|trillion|bn|mn|k|m|b)\b`)
	percentRe = regexp.MustCompile(`^(?i)\s?(%|percent\b|per cent\b|pct\b)`)
	timesRe   = regexp.MustCompile(`^(?i)(?:\s?[x×](?:\W|$)|\s?-?\s?fold\b|\s(?:times)\b)`)
	ratioRe   = regexp.MustCompile(`^\s?(?::|\bto\b)\s?(\d+(?:\.\d+)?)\b`)
	approxRe  = regexp.MustCompile(`(?i)(?:about|approximately|approx\.?|around|roughly|nearly|almost|~|≈|circa|some)\s*$`)
	// Direction words that make the number that follows a decrease or an
	// increase ("fell by 3.5%", "a decrease of $1.2 billion"). "reduced
	// to" names a level, not a change, and is not one.
	downRe = regexp.MustCompile(`(?i)\b(?:fell|falls|fall|falling|dropped|drops|drop|declined|declines|decline|decreased|decreases|decrease|shrank|shrunk|shrinks|shrink|lost|loses|lose|loss|losses|down|lower|contracted|contraction|reduction|reduced|cut|slid|slipped|plunged|plummeted|sank|used|outflow|outflows|deficit|negative)\s+(?:by\s+|of\s+|in\s+)?(?:about\s+|approximately\s+|roughly\s+|some\s+|a\s+net\s+|net\s+|a\s+total\s+of\s+)?$`)
	upRe   = regexp.MustCompile(`(?i)\b(?:rose|rises|rise|rising|grew|grows|grow|growth|increased|increases|increase|gained|gains|gain|up|higher|climbed|jumped|improved|improvement|provided|inflow|inflows|surplus|expanded)\s+(?:by\s+|of\s+|in\s+)?(?:about\s+|approximately\s+|roughly\s+|some\s+|a\s+net\s+|net\s+)?$`)
	// outflowClauseRe: a clause about cash used or an outflow ("Net cash
	// used in investing activities was $3.45 billion").
	outflowClauseRe = regexp.MustCompile(`(?i)\b(?:cash used|used in|outflows?)\b`)
)

// findNumbers lists the numbers written in text (digits, or small number
// words when words is set), with what surrounds them. ratios reads "4:1"
// and "4 to 1" as quotients (when the reference is a ratio).
func findNumbers(text string, ratios bool) []numVal {
	var out []numVal
	bold := boldSpans(text)
	paren := parenDepths(text)
	lastEnd := 0
	for _, loc := range numRe.FindAllStringIndex(text, -1) {
		s, e := loc[0], loc[1]
		tok := text[s:e]
		// Currency sign first.
		var cur unit
		hasCur := false
		body := tok
		outerSign := ""
		for _, sg := range []string{"-", "+", "−", "–"} {
			if strings.HasPrefix(body, sg) && len(body) > len(sg) && !(body[len(sg)] >= '0' && body[len(sg)] <= '9') && body[len(sg)] != '.' {
				outerSign, body = sg, body[len(sg):]
				break
			}
		}
		for _, sym := range []string{"US$", "$", "€", "£", "¥", "₹", "₩"} {
			if strings.HasPrefix(body, sym) {
				cur, hasCur = unitWords[strings.ToLower(sym)], true
				body = strings.TrimSpace(body[len(sym):])
				break
			}
		}
		if outerSign != "" {
			body = outerSign + body
		}
		numStart := e - len(body)
		if s < lastEnd {
			continue // inside the previous mention ("4:1")
		}
		// A number glued to a word or another number is part of a name
		// (COVID-19, p53, C8H10N4O2, 17p13.1, v7), not a quantity.
		if numStart > 0 && !hasCur {
			r, _ := utf8.DecodeLastRuneInString(text[:numStart])
			signed := body[0] == '-' || body[0] == '+' || strings.HasPrefix(body, "−") || strings.HasPrefix(body, "–")
			if unicode.IsLetter(r) || unicode.IsDigit(r) || (!signed && (r == '_' || r == '/' || r == '.' || r == '^' || r == '#')) || r == '^' {
				continue
			}
			// A hyphen after a word or a digit is not a minus sign.
			if (body[0] == '-' || body[0] == '+') && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				continue
			}
		}
		if e < len(text) {
			r, _ := utf8.DecodeRuneInString(text[e:])
			if r == '-' && e+1 < len(text) && text[e+1] >= '0' && text[e+1] <= '9' {
				continue // a range or an identifier (2019-04-21, 978-0-306)
			}
			if (r == '/' || r == '.') && e+1 < len(text) && text[e+1] >= '0' && text[e+1] <= '9' {
				continue // a DOI, a version, a date
			}
		}
		// An ordered-list marker or a heading number at a line start.
		if lineStart(text, s) && e < len(text) && (text[e] == '.' || text[e] == ')') && (e+1 == len(text) || text[e+1] == ' ') && !strings.ContainsAny(body, ".,") {
			continue
		}
		v, dec, ok := parseDecimal(strings.NewReplacer("×", "x").Replace(body))
		if !ok {
			continue
		}
		n := numVal{start: s, end: e, value: v, decimals: dec}
		if dec == -1 { // an exponent: precision from the mantissa's digits
			n.decimals = mantissaDecimals(body, v)
		} else if dec == 0 {
			n.decimals = -trailingZeros(body)
		}
		n.approx = approxRe.MatchString(text[:s])
		if body[0] == '-' || body[0] == '+' || strings.HasPrefix(body, "−") || strings.HasPrefix(body, "–") {
			n.signed = true
		}
		rest := text[e:]
		consumed := 0
		if m := multRe.FindStringSubmatch(rest); m != nil {
			w := strings.ToLower(m[1])
			// "5 m" is five metres and "2 b" nothing, unless money is meant.
			if !((w == "m" || w == "b") && !hasCur && !moneyAfter(rest[len(m[0]):])) && !(w == "k" && m[1] == "K" && !hasCur) {
				mult := multipliers[w]
				n.value *= mult
				n.decimals -= int(math.Round(math.Log10(mult)))
				consumed = len(m[0])
			}
		}
		rest2 := rest[consumed:]
		if m := percentRe.FindString(rest2); m != "" {
			n.percent = true
			consumed += len(m)
		} else if m := timesRe.FindString(rest2); m != "" {
			n.times = true
			consumed += len(strings.TrimRight(m, " .,;)"))
		} else if m := ratioRe.FindStringSubmatch(rest2); m != nil && ratios {
			if d, err := strconv.ParseFloat(m[1], 64); err == nil && d != 0 {
				n.value /= d
				n.ratio = true
				n.decimals = 6
				consumed += len(m[0])
			}
		} else if !hasCur {
			trim := strings.TrimLeft(rest2, " ")
			if u, k, ok := lookupUnit(trim); ok && (k < len(trim) || len(trim) > 0) {
				n.unit, n.hasUnit = u, true
				consumed += len(rest2) - len(trim) + k
			}
		}
		if hasCur {
			n.unit, n.hasUnit = cur, true
			if trim := strings.TrimLeft(rest[consumed:], " "); len(trim) > 0 {
				// "$3.45 billion dollars", "¥3,592 JPY": the code agrees.
				if u, k, ok := lookupUnit(trim); ok && u.dim == cur.dim {
					consumed += len(rest[consumed:]) - len(trim) + k
				}
			}
		}
		n.end = e + consumed
		// Words before: currency codes, approximations, directions.
		before := text[:s]
		if !hasCur {
			if u, ok := currencyBefore(before); ok {
				n.unit, n.hasUnit = u, true
			}
		}
		if approxRe.MatchString(before) {
			n.approx = true
		}
		if !n.signed {
			win := before
			if len(win) > 60 {
				win = win[len(win)-60:]
			}
			switch {
			case downRe.MatchString(win) || strings.HasSuffix(strings.TrimSpace(strings.ToLower(win)), "minus"):
				n.direction = -1
			case upRe.MatchString(win):
				n.direction = 1
			case usedAfter(text[n.end:]) || outflowClauseRe.MatchString(clauseBefore(text, s)):
				n.direction = -1
			}
		}
		// A number glued to letters that are no unit ("3b", "17p13") is a name.
		if consumed == 0 && e < len(text) && isLetter(text[e]) {
			continue
		}
		n.bold = inSpans(bold, s)
		n.paren = paren[s] > 0
		if fromToRe.MatchString(clauseBefore(text, s)) {
			n.context = true // "from $4.5 billion to $3.3 billion": the levels around a change
		}
		if dec == 0 && !(n.approx || trailingZeros(body) >= 3) {
			n.decimals = 0
		}
		out = append(out, mergeCompound(text, &out, n)...)
		lastEnd = n.end
	}
	return out
}

// usedAfter reads an outflow named after the amount ("$3.45 billion used in
// investing activities", "$2 million outflow").
func usedAfter(rest string) bool {
	rest = strings.ToLower(rest)
	if len(rest) > 30 {
		rest = rest[:30]
	}
	return strings.HasPrefix(strings.TrimSpace(rest), "used in") || strings.HasPrefix(strings.TrimSpace(rest), "outflow") ||
		strings.HasPrefix(strings.TrimSpace(rest), "net outflow")
}

// clauseBefore is the text from the start of the clause holding i up to i.
func clauseBefore(text string, i int) string {
	j := strings.LastIndexAny(text[:i], ";\n")
	if k := strings.LastIndex(text[:i], ". "); k > j {
		j = k
	}
	return text[j+1 : i]
}

// moneyAfter reports a currency word after a multiplier ("2.5 m dollars").
func moneyAfter(rest string) bool {
	f := strings.Fields(strings.ToLower(rest))
	if len(f) == 0 {
		return false
	}
	u, ok := unitWords[strings.Trim(f[0], ".,;")]
	return ok && strings.HasPrefix(u.dim, "currency:")
}

func lineStart(text string, i int) bool {
	j := i
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t' || text[j-1] == '*' || text[j-1] == '#') {
		j--
	}
	return j == 0 || text[j-1] == '\n'
}

// trailingZeros counts the zeros an integer ends with (1,500: 2), which
// a reader does not take as significant.
func trailingZeros(s string) int {
	s = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	n := 0
	for i := len(s) - 1; i > 0 && s[i] == '0'; i-- {
		n++
	}
	if strings.Trim(s, "0") == "" {
		return 0
	}
	return n
}

// mantissaDecimals is the precision of a number written with an exponent
// (2.5e-9: 10 decimals).
func mantissaDecimals(s string, v float64) int {
	m := strings.FieldsFunc(s, func(r rune) bool { return r == 'e' || r == 'E' || r == 'x' || r == '×' })
	if len(m) == 0 || v == 0 {
		return 6
	}
	mant := strings.TrimSpace(m[0])
	d := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		d = len(mant) - i - 1
	}
	mv, err := strconv.ParseFloat(strings.NewReplacer("−", "-", ",", "").Replace(mant), 64)
	if err != nil || mv == 0 {
		return 6
	}
	return d - int(math.Round(math.Log10(math.Abs(v/mv))))
}

var boldRe = regexp.MustCompile(`\*\*([^*\n]+?)\*\*|__([^_\n]+?)__`)

type span struct{ start, end int }

func boldSpans(text string) []span {
	var out []span
	for _, m := range boldRe.FindAllStringIndex(text, -1) {
		out = append(out, span{m[0], m[1]})
	}
	return out
}

func inSpans(ss []span, i int) bool {
	for _, s := range ss {
		if i >= s.start && i < s.end {
			return true
		}
	}
	return false
}

// parenDepths gives, for each byte, how many parentheses enclose it.
func parenDepths(text string) []int8 {
	d := make([]int8, len(text)+1)
	depth := int8(0)
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '(', '[':
			if depth < 100 {
				depth++
			}
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case '\n':
			depth = 0
		}
		d[i] = depth
	}
	return d
}
