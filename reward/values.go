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

// mergeCompound joins "17 hours 30 minutes", "27 weeks and 3 days", "5 ft
// 10 in": a quantity in one dimension written in two units. It reports
// whether n joined the last number of out.
func mergeCompound(text string, out []numVal, n numVal) bool {
	if len(out) == 0 || !n.hasUnit {
		return false
	}
	last := &out[len(out)-1]
	if !last.hasUnit || last.unit.dim != n.unit.dim || last.unit.factor <= n.unit.factor || strings.HasPrefix(n.unit.dim, "currency:") || n.unit.dim == "temperature" {
		return false
	}
	between := strings.TrimSpace(text[last.end:n.start])
	if between != "" && between != "and" && between != "," && between != ", and" {
		return false
	}
	base := last.unit.toBase(last.value) + n.unit.toBase(n.value)
	last.value = last.unit.fromBase(base)
	last.decimals = n.decimals + int(math.Floor(math.Log10(n.unit.factor/last.unit.factor)))
	last.end = n.end
	return true
}

var (
	// numRe is a written number: signs, a currency sign, digits with
	// thousands separators, decimals, an exponent. scanNumbers finds the
	// same spans by hand; TestScanNumbersAgreesWithRegexp holds them equal.
	numRe = regexp.MustCompile(`[-+−–]?(?:(?:US\$|[$€£¥₹₩])\s?)?[-+−–]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+−]?\d+|\s?[x×]\s?10\^?[-+−]?\d+)?`)
	// ratioRe reads ":1" or " to 2" after a number, the second term of a
	// ratio.
	ratioRe = regexp.MustCompile(`^\s?(?::|\bto\b)\s?(\d+(?:\.\d+)?)\b`)
	// outflowClauseRe: a clause about cash used or an outflow ("Net cash
	// used in investing activities was $3.45 billion").
	outflowClauseRe = regexp.MustCompile(`(?i)\b(?:cash used|used in|outflows?)\b`)
)

// findNumbers lists the numbers written in text (digits, or small number
// words when words is set), with what surrounds them. ratios reads "4:1"
// and "4 to 1" as quotients (when the reference is a ratio).
func findNumbers(text string, ratios bool) []numVal {
	out := make([]numVal, 0, 16)
	bold := boldSpans(text)
	paren := parenDepths(text)
	lastEnd := 0
	lower := lowerASCII(text)
	hasFrom := strings.Contains(lower, "from")
	hasOutflow := strings.Contains(lower, "used") || strings.Contains(lower, "outflow")
	for _, loc := range scanNumbers(text) {
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
		v, dec, ok := parseDecimal(body)
		if !ok {
			continue
		}
		n := numVal{start: s, end: e, value: v, decimals: dec}
		if dec == -1 { // an exponent: precision from the mantissa's digits
			n.decimals = mantissaDecimals(body, v)
		} else if dec == 0 {
			n.decimals = -trailingZeros(body)
		}
		ws := lastWords(text[:s], 6)
		n.approx = approxBefore(text[:s], ws)
		if body[0] == '-' || body[0] == '+' || strings.HasPrefix(body, "−") || strings.HasPrefix(body, "–") {
			n.signed = true
		}
		rest := text[e:]
		consumed := 0
		if word, k := multiplierAt(rest); k > 0 {
			w := strings.ToLower(word)
			// "5 m" is five metres and "2 b" nothing, unless money is meant.
			if !((w == "m" || w == "b") && !hasCur && !moneyAfter(rest[k:])) && !(w == "k" && word == "K" && !hasCur) {
				mult := multipliers[w]
				if math.IsInf(n.value*mult, 0) {
					continue // "9e307 trillion": no finite number
				}
				n.value *= mult
				n.decimals -= int(math.Round(math.Log10(mult)))
				consumed = k
			}
		}
		rest2 := rest[consumed:]
		if k := percentAt(rest2); k > 0 {
			n.percent = true
			consumed += k
		} else if k := timesAt(rest2); k > 0 {
			n.times = true
			consumed += k
		} else if m := ratioMatch(ratios, rest2); m != nil {
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

		if !n.signed {
			n.direction = directionBefore(ws)
			if n.direction == 0 && hasOutflow && (usedAfter(text[n.end:]) || outflowClause(clauseBefore(lower, s))) {
				n.direction = -1
			}
		}
		// A number glued to letters that are no unit ("3b", "17p13") is a name.
		if consumed == 0 && e < len(text) && isLetter(text[e]) {
			continue
		}
		n.bold = inSpans(bold, s)
		n.paren = paren[s] > 0
		if hasFrom && fromToBefore(clauseBefore(lower, s)) {
			n.context = true // "from $4.5 billion to $3.3 billion": the levels around a change
		}
		if dec == 0 && !(n.approx || trailingZeros(body) >= 3) {
			n.decimals = 0
		}
		if !mergeCompound(text, out, n) {
			out = append(out, n)
		}
		lastEnd = n.end
	}
	return out
}

// usedAfter reads an outflow named after the amount ("$3.45 billion used in
// investing activities", "$2 million outflow").
func usedAfter(rest string) bool {
	if len(rest) > 30 {
		rest = rest[:30]
	}
	rest = lowerASCII(rest)
	return strings.HasPrefix(strings.TrimSpace(rest), "used in") || strings.HasPrefix(strings.TrimSpace(rest), "outflow") ||
		strings.HasPrefix(strings.TrimSpace(rest), "net outflow")
}

// ratioMatch reads ":1" or " to 2" after a number, when ratios are read.
func ratioMatch(ratios bool, rest string) []string {
	if !ratios {
		return nil
	}
	return ratioRe.FindStringSubmatch(rest)
}

// fromToBefore reports a lower-cased clause that ends inside a "from X
// to Y" phrase: right after "from", or after "from X to".
func fromToBefore(c string) bool {
	i := strings.LastIndex(c, "from ")
	if i < 0 || (i > 0 && isWordByte(c[i-1])) {
		return false
	}
	ws := strings.Fields(c[i+len("from "):])
	for len(ws) > 0 && fillerWords[ws[len(ws)-1]] {
		ws = ws[:len(ws)-1]
	}
	switch {
	case len(ws) == 0:
		return true
	case len(ws) <= 5 && ws[len(ws)-1] == "to":
		return true
	}
	return false
}

// clauseBefore is the text from the start of the clause holding i up to
// i, at most its last 200 bytes.
func clauseBefore(text string, i int) string {
	head := tail(text[:i], 200)
	j := strings.LastIndexAny(head, ";\n")
	if k := strings.LastIndex(head, ". "); k > j {
		j = k
	}
	return head[j+1:]
}

// tail is the last n bytes of s, cut at a character boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8Start(s[i]) {
		i++
	}
	return s[i:]
}

var signReplacer = strings.NewReplacer("−", "-", "–", "-", ",", "")

// outflowClause reports a lower-cased clause about cash used or an
// outflow ("net cash used in investing activities was $3.45 billion").
func outflowClause(c string) bool {
	return (strings.Contains(c, "used") || strings.Contains(c, "outflow")) && outflowClauseRe.MatchString(c)
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
	mv, err := strconv.ParseFloat(signReplacer.Replace(mant), 64)
	if err != nil || mv == 0 {
		return 6
	}
	return d - int(math.Round(math.Log10(math.Abs(v/mv))))
}

type span struct{ start, end int }

// boldSpans finds markdown bold on one line: **…** and __…__.
func boldSpans(text string) []span {
	var out []span
	for _, mark := range []string{"**", "__"} {
		if !strings.Contains(text, mark) {
			continue
		}
		for i := 0; i < len(text); {
			j := strings.Index(text[i:], mark)
			if j < 0 {
				break
			}
			open := i + j
			k := strings.Index(text[open+2:], mark)
			if k < 0 {
				break
			}
			close := open + 2 + k
			inner := text[open+2 : close]
			if k == 0 || strings.ContainsAny(inner, "\n"+mark[:1]) {
				// Not bold on one line: start again at the second mark.
				i = open + 2
				if k == 0 {
					i = close + 2
				}
				continue
			}
			out = append(out, span{open, close + 2})
			i = close + 2
		}
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
