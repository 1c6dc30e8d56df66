package reward

import (
	"strings"
	"unicode/utf8"
)

// Reading the words just before a value is on every number's path: these
// helpers do it with word sets rather than end-anchored regular
// expressions, which Go scans from every start position.

// lowerASCII lower-cases ASCII letters only, so that byte offsets into the
// result are offsets into s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// lastWords returns up to n (at most 8) words at the end of s,
// lower-cased, with punctuation around them trimmed; symbols (=, ≈, →, :)
// are words too.
func lastWords(s string, n int) []string {
	s = tail(s, 80)
	var buf [8]string
	f := buf[:0]
	end := len(s)
	for i := len(s) - 1; i >= -1 && len(f) < min(n, 8); i-- {
		if i == -1 || isSpace(s[i]) {
			if end > i+1 {
				f = append(f, s[i+1:end])
			}
			end = i
		}
	}
	out := make([]string, 0, len(f)+1)
	for k := len(f) - 1; k >= 0; k-- {
		t := trimPunct(lowerASCII(f[k]))
		if t == "" {
			continue
		}
		// A cue glued to a word: "h=" or "result:".
		for _, sym := range []string{"=", ":", "≈", "→", "~"} {
			if strings.HasSuffix(t, sym) && t != sym {
				out = append(out, strings.TrimSuffix(t, sym))
				t = sym
				break
			}
		}
		out = append(out, t)
	}
	return out
}

// trimPunct trims the markup and punctuation that wrap a word.
func trimPunct(w string) string {
	isP := func(c byte) bool {
		switch c {
		case '*', '_', '"', '\'', '(', '[', ',', ';':
			return true
		}
		return false
	}
	i, j := 0, len(w)
	for i < j && isP(w[i]) {
		i++
	}
	for j > i && isP(w[j-1]) {
		j--
	}
	return w[i:j]
}

func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

var (
	fillerWords = wordSet("about", "approximately", "approx", "approx.", "roughly", "around", "just", "only", "exactly", "nearly",
		"almost", "some", "a", "an", "the", "net", "total", "$", "**", "__", "(", "a total of")
	cueWords = wordSet("is", "are", "was", "were", "be", "equals", "equal", "gives", "give", "totals", "total", "to", "of", "by",
		"becomes", "become", "weighs", "costs", "cost", "lasted", "took", "takes", "reached", "=", "≈", "≃", "~", "→", "->", "=>", ":",
		"answer", "answer:", "is:")
	approxWords = wordSet("about", "approximately", "approx", "approx.", "around", "roughly", "nearly", "almost", "circa", "some", "~", "≈")
	downWords   = wordSet("fell", "falls", "fall", "falling", "dropped", "drops", "drop", "declined", "declines", "decline", "decreased",
		"decreases", "decrease", "shrank", "shrunk", "shrinks", "shrink", "lost", "loses", "lose", "loss", "losses", "down", "lower",
		"contracted", "contraction", "reduction", "reduced", "cut", "slid", "slipped", "plunged", "plummeted", "sank", "used", "outflow",
		"outflows", "deficit", "negative", "minus")
	upWords = wordSet("rose", "rises", "rise", "rising", "grew", "grows", "grow", "growth", "increased", "increases", "increase", "gained",
		"gains", "gain", "up", "higher", "climbed", "jumped", "improved", "improvement", "provided", "inflow", "inflows", "surplus", "expanded")
	changePreps = wordSet("by", "of", "in")
)

// cuedBefore reports text that ends in a cue for a committed value: "is",
// "=", "≈", "→", ":", "of", "by", … perhaps with "about" or "the" after it.
func cuedBefore(s string) bool {
	ws := lastWords(s, 4)
	for i := len(ws) - 1; i >= 0; i-- {
		w := ws[i]
		if cueWords[w] || strings.HasSuffix(w, ":") || strings.HasSuffix(w, "=") {
			return true
		}
		if !fillerWords[w] {
			return false
		}
	}
	return false
}

// approxBefore reports text that ends in "about", "~", "≈" …; ws are its
// last words.
func approxBefore(s string, ws []string) bool {
	s = strings.TrimRight(s, " ")
	if r, _ := utf8.DecodeLastRuneInString(s); r == '~' || r == '≈' {
		return true
	}
	return len(ws) > 0 && approxWords[ws[len(ws)-1]]
}

// directionBefore reads a direction word in ws, the last words before a
// value: -1 for "fell by", "a decrease of", "used", "minus"; +1 for "rose
// by", "grew"; 0 otherwise ("reduced to" names a level, not a change).
func directionBefore(ws []string) int {
	i := len(ws) - 1
	for i >= 0 && fillerWords[ws[i]] {
		i--
	}
	if i >= 0 && changePreps[ws[i]] {
		i--
	}
	for i >= 0 && fillerWords[ws[i]] && ws[i] != "a" {
		i--
	}
	if i < 0 {
		return 0
	}
	switch {
	case downWords[ws[i]]:
		return -1
	case upWords[ws[i]]:
		return 1
	}
	return 0
}

// scanNumbers returns the spans numRe.FindAllStringIndex(text, -1) finds,
// without the regular expression engine: scoring a 2 KB answer spent a
// third of its time there. TestScanNumbersAgreesWithRegexp holds them equal.
func scanNumbers(text string) [][2]int {
	var out [][2]int
	for pos := 0; pos < len(text); {
		// Only a digit, a point, a sign or a currency sign can start one.
		c := text[pos]
		if c < 0x80 && !isDigit(c) && c != '.' && c != '-' && c != '+' && c != '$' && c != 'U' {
			pos++
			continue
		}
		if end := numberAt(text, pos); end > pos {
			out = append(out, [2]int{pos, end})
			pos = end
			continue
		}
		_, size := utf8.DecodeRuneInString(text[pos:])
		pos += size
	}
	return out
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// signAt returns the length of a sign (-, +, −, –) at i, or 0.
func signAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] {
	case '-', '+':
		return 1
	case 0xE2: // − U+2212 (E2 88 92), – U+2013 (E2 80 93)
		if i+2 < len(s) && ((s[i+1] == 0x88 && s[i+2] == 0x92) || (s[i+1] == 0x80 && s[i+2] == 0x93)) {
			return 3
		}
	}
	return 0
}

// currencyAt returns the length of a currency sign at i, or 0.
func currencyAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] {
	case '$':
		return 1
	case 'U':
		if strings.HasPrefix(s[i:], "US$") {
			return 3
		}
	case 0xC2: // £ C2 A3, ¥ C2 A5
		if i+1 < len(s) && (s[i+1] == 0xA3 || s[i+1] == 0xA5) {
			return 2
		}
	case 0xE2: // € E2 82 AC, ₹ E2 82 B9, ₩ E2 82 A9
		if i+2 < len(s) && s[i+1] == 0x82 && (s[i+2] == 0xAC || s[i+2] == 0xB9 || s[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// numberAt returns the end of the number token that numRe matches at
// pos, or pos when none starts there.
func numberAt(s string, pos int) int {
	p := pos + signAt(s, pos)
	if c := currencyAt(s, p); c > 0 {
		p += c
		if p < len(s) && isSpace(s[p]) {
			p++
		}
	}
	p += signAt(s, p)
	digits := func(i int) int {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i
	}
	fraction := func(i int) int {
		if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			return digits(i + 1)
		}
		return i
	}
	var q int
	switch {
	case p < len(s) && isDigit(s[p]):
		run := digits(p)
		if run-p <= 3 && run+3 < len(s) && s[run] == ',' && isDigit(s[run+1]) && isDigit(s[run+2]) && isDigit(s[run+3]) {
			q = run
			for q+3 < len(s) && s[q] == ',' && isDigit(s[q+1]) && isDigit(s[q+2]) && isDigit(s[q+3]) {
				q += 4
			}
			q = fraction(q)
		} else {
			q = fraction(run)
		}
	case p+1 < len(s) && s[p] == '.' && isDigit(s[p+1]):
		q = digits(p + 1)
	default:
		return pos
	}
	// An exponent: e-9, or " x 10^-9".
	if q < len(s) && (s[q] == 'e' || s[q] == 'E') {
		if r := skipSign(s, q+1); r < len(s) && isDigit(s[r]) {
			return digits(r)
		}
		return q
	}
	r := q
	if r < len(s) && isSpace(s[r]) {
		r++
	}
	switch {
	case r < len(s) && s[r] == 'x':
		r++
	case strings.HasPrefix(s[r:], "×"):
		r += len("×")
	default:
		return q
	}
	if r < len(s) && isSpace(s[r]) {
		r++
	}
	if !strings.HasPrefix(s[r:], "10") {
		return q
	}
	r += 2
	if r < len(s) && s[r] == '^' {
		r++
	}
	if r = skipSign(s, r); r < len(s) && isDigit(s[r]) {
		return digits(r)
	}
	return q
}

// multiplierAt reads a multiplier word after a number (one space
// allowed): thousand, million, billion, trillion, bn, mn, k, m, b. It
// returns the word as written and the bytes used.
func multiplierAt(s string) (string, int) {
	i := 0
	if i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	if j == i || (j < len(s) && (isDigit(s[j]) || s[j] == '_')) {
		return "", 0
	}
	switch strings.ToLower(s[i:j]) {
	case "thousand", "million", "billion", "trillion", "bn", "mn", "k", "m", "b":
		return s[i:j], j
	}
	return "", 0
}

// percentAt reads %, percent, per cent or pct after a number.
func percentAt(s string) int {
	i := 0
	if i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '%' {
		return i + 1
	}
	for _, w := range []string{"percent", "per cent", "pct"} {
		if len(s) >= i+len(w) && strings.EqualFold(s[i:i+len(w)], w) && (i+len(w) == len(s) || !isWordByte(s[i+len(w)])) {
			return i + len(w)
		}
	}
	return 0
}

// timesAt reads a multiplication sign or word after a number: 2.7x,
// 2.7×, 2.7 times, 2.7-fold.
func timesAt(s string) int {
	i := 0
	if i < len(s) && isSpace(s[i]) {
		i++
	}
	switch {
	case i < len(s) && (s[i] == 'x' || s[i] == 'X') && (i+1 == len(s) || !isWordByte(s[i+1])):
		return i + 1
	case strings.HasPrefix(s[i:], "×"):
		return i + len("×")
	}
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	if len(s) >= j+4 && strings.EqualFold(s[j:j+4], "fold") && (j+4 == len(s) || !isWordByte(s[j+4])) {
		return j + 4
	}
	if i == 1 && len(s) >= 6 && strings.EqualFold(s[1:6], "times") && (len(s) == 6 || !isWordByte(s[6])) {
		return 6
	}
	return 0
}

// eachWord calls f with the bounds of each run of ASCII letters in s, in
// order, until f returns false.
func eachWord(s string, f func(start, end int) bool) {
	for i := 0; i < len(s); {
		if !isLetter(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		if !f(i, j) {
			return
		}
		i = j
	}
}

// skipSign returns i past a sign (-, +, −) at i, or i.
func skipSign(s string, i int) int {
	switch {
	case i < len(s) && (s[i] == '-' || s[i] == '+'):
		return i + 1
	case strings.HasPrefix(s[i:], "−"):
		return i + len("−")
	}
	return i
}
