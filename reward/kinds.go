package reward

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ---- numbers

// numberCands lists the numbers of text that may answer a numeric
// reference: not the parts of dates, step numbers, or numbers the
// question gives (unless nothing else is left).
func numberCands(text string, ref *refInfo) ([]numVal, []cand) {
	kept, cands, _, _ := numberCandsEchoes(text, ref)
	return kept, cands
}

// numberCandsEchoes is numberCands, and the numbers it left out as echoes
// of the question: they are no answer, but a hedge may offer one.
func numberCandsEchoes(text string, ref *refInfo) ([]numVal, []cand, []numVal, []cand) {
	nums := findNumbers(text, ref.ratio)
	dates := dateMentions(text)
	k := 0
	for _, n := range nums {
		if inDateMention(dates, n.start) {
			continue
		}
		before := lowerASCII(strings.TrimRight(text[max(0, n.start-6):n.start], " "))
		if strings.HasSuffix(before, "step") || strings.HasSuffix(before, "#") {
			continue
		}
		nums[k] = n
		k++
	}
	nums = nums[:k]
	if w := wordNumbers(text, len(nums) == 0); len(w) > 0 {
		nums = append(nums, w...)
		sortByStart(nums, func(n numVal) int { return n.start })
	}
	// Echoes of the question, unless nothing else is left.
	echoes := 0
	for _, n := range nums {
		if ref.isEcho(n) {
			echoes++
		}
	}
	kept := nums
	var echoNums []numVal
	if echoes > 0 && echoes < len(nums) {
		kept = make([]numVal, 0, len(nums)-echoes)
		for _, n := range nums {
			if !ref.isEcho(n) {
				kept = append(kept, n)
			} else {
				echoNums = append(echoNums, n)
			}
		}
	}
	// Values of another kind (a percentage where an amount is asked, a
	// length where a mass is) are not candidates while others are.
	bestTier := -1
	for _, n := range kept {
		bestTier = max(bestTier, ref.compat(n))
	}
	if bestTier > 0 {
		k := 0
		for _, n := range kept {
			if ref.compat(n) > 0 {
				kept[k] = n
				k++
			}
		}
		kept = kept[:k]
	}
	toCands := func(ns []numVal) []cand {
		cs := make([]cand, len(ns))
		for i, n := range ns {
			cs[i] = cand{start: n.start, end: n.end, bold: n.bold, paren: n.paren || n.context, key: numKey(n)}
		}
		return cs
	}
	return kept, toCands(kept), echoNums, toCands(echoNums)
}

// compat ranks how well a number fits a numeric reference: 2 a unit of
// its dimension, or a percentage for a percentage, or a ratio for a
// ratio; 1 a plain number; 0 another dimension, a currency for a plain
// number, a percentage for an amount.
func (ref *refInfo) compat(n numVal) int {
	r := ref.num
	refPercent := r.percent || ref.rnd.percent
	switch {
	case r.hasUnit && n.hasUnit:
		if r.unit.dim == n.unit.dim {
			return 2
		}
		return 0
	case refPercent && n.percent, ref.ratio && (n.times || n.ratio):
		return 2
	case n.percent && !refPercent && r.hasUnit, n.hasUnit && strings.HasPrefix(n.unit.dim, "currency:") && !r.hasUnit && !ref.ratio && refPercent:
		return 0
	case (n.percent || n.hasUnit && strings.HasPrefix(n.unit.dim, "currency:")) && ref.ratio:
		return 0
	case n.hasUnit && refPercent:
		return 0
	}
	return 1
}

func numKey(n numVal) string {
	v := n.value
	if n.hasUnit && !strings.HasPrefix(n.unit.dim, "currency:") {
		v = n.unit.toBase(v)
	}
	if n.percent {
		v /= 100
	}
	if !n.signed && n.direction < 0 {
		v = -v
	}
	return strconv.FormatFloat(v, 'g', 8, 64)
}

// isEcho reports a number that the question gives.
func (ref *refInfo) isEcho(n numVal) bool {
	for _, e := range ref.echoes {
		if e == n.value {
			return true
		}
	}
	return false
}

// numberWords are the words of numbers written out.
var numberWords = wordSet("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
	"thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
	"seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "dozen")

// wordNumbers reads numbers written in words ("forty-two", "two million
// three hundred thousand", "fifty seven point two", "minus seven"): in
// bold, or anywhere when the text has no digits.
func wordNumbers(text string, anywhere bool) []numVal {
	var out []numVal
	bold := boldSpans(text)
	if !anywhere && len(bold) == 0 {
		return nil
	}
	lower := lowerASCII(text)
	type word struct{ start, end int }
	var run []word
	flush := func() {
		// A run may not end on "and", "point", "minus".
		for len(run) > 0 {
			w := lower[run[len(run)-1].start:run[len(run)-1].end]
			if w != "and" && w != "point" && w != "minus" && w != "negative" {
				break
			}
			run = run[:len(run)-1]
		}
		if len(run) == 0 {
			return
		}
		s, e := run[0].start, run[len(run)-1].end
		run = run[:0]
		b := inSpans(bold, s)
		if !b && !anywhere {
			return
		}
		v, ok := parseWordNumber(lower[s:e])
		if !ok {
			return
		}
		n := numVal{start: s, end: e, value: v, bold: b}
		if _, frac, ok := strings.Cut(lower[s:e], " point "); ok {
			n.decimals = len(strings.Fields(frac))
		}
		if percentAt(text[e:]) > 0 {
			n.percent = true
		}
		out = append(out, n)
	}
	for i := 0; i < len(lower) && len(out) < 20; {
		if !isLetter(lower[i]) {
			if lower[i] != ' ' && lower[i] != '-' {
				flush()
			}
			i++
			continue
		}
		j := i
		for j < len(lower) && isLetter(lower[j]) {
			j++
		}
		w := lower[i:j]
		switch {
		case numberWords[w]:
			run = append(run, word{i, j})
		case len(run) > 0 && (w == "and" || w == "point"):
			run = append(run, word{i, j})
		case len(run) == 0 && (w == "minus" || w == "negative"):
			run = append(run, word{i, j})
		default:
			flush()
			run = run[:0]
		}
		i = j
	}
	flush()
	return out
}

// judgeNumber reads a long answer's conclusion first: when its last
// paragraph with a number commits to a value the rules accept, or marks
// its value (bold, an answer line), and nothing before it is marked as the
// answer, the reasoning before it need not be read. Otherwise the whole
// text is.
func (m *Match) judgeNumber(text string, ref *refInfo, pol policy) verdict {
	if len(text) > 512 {
		if start := conclusionStart(text); start > 0 {
			if v, strength := m.judgeNumberIn(text[start:], ref, pol); v.label == Correct || v.label == Partial || strength == marked {
				return v
			}
		}
	}
	v, _ := m.judgeNumberIn(text, ref, pol)
	return v
}

// conclusionStart is where the last paragraph with a digit begins, or 0
// when an answer line or a bold number comes before it.
func conclusionStart(text string) int {
	end := len(text)
	start := 0
	for end > 0 {
		i := strings.LastIndex(text[:end], "\n\n")
		if strings.IndexFunc(text[i+1:end], func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
			start = i + 1
			break
		}
		if i < 0 {
			return 0
		}
		end = i
	}
	if start <= 0 {
		return 0
	}
	head := text[:start]
	for _, b := range boldSpans(head) {
		inner := lowerASCII(head[b.start:b.end])
		if strings.ContainsAny(inner, "0123456789") && !strings.Contains(inner, "step") {
			return 0
		}
	}
	for _, l := range answerLines(head) {
		if strings.ContainsAny(head[l.start:l.end], "0123456789") {
			return 0
		}
	}
	return start
}

// judgeNumberIn decides text, and says how surely the text marked the
// value it was judged on (weak, cued, marked; 0 when it gave none).
func (m *Match) judgeNumberIn(text string, ref *refInfo, pol policy) (verdict, int) {
	nums, cands, echoNums, echoCands := numberCandsEchoes(text, ref)
	cm := commit(text, cands)
	if cm.idx < 0 {
		return decided(Incorrect, "the answer states no number; the reference is %s", ref.raw), cm.strength
	}
	v := m.numVerdict(nums[cm.idx], ref, pol)
	if !cm.hedge && len(echoCands) > 0 {
		// A number the question gives, offered as an alternative.
		if j := hedgeAmong(text, sentenceSpans(text), cands[cm.idx], echoCands, -1); j >= 0 {
			nums = append(nums, echoNums[j])
			cm.hedge, cm.alt = true, len(nums)-1
		}
	}
	if cm.hedge {
		if w := m.numVerdict(nums[cm.alt], ref, pol); w.label != v.label || v.label != Correct {
			return decided(Incorrect, "the answer hedges between %s and %s; the reference is %s", numText(text, nums[cm.idx]), numText(text, nums[cm.alt]), ref.raw), cm.strength
		}
	}
	if v.label == Correct || v.label == Partial {
		return v, cm.strength
	}
	if cm.strength < marked {
		for _, i := range cm.earlier {
			if w := m.numVerdict(nums[i], ref, pol); w.label == Correct {
				// The statement about what the question asks is the answer.
				early, late := subjectOverlap(ref.question, statementAt(text, nums[i].start)), subjectOverlap(ref.question, statementAt(text, nums[cm.idx].start))
				switch {
				case early > late:
					return decided(Correct, "%s (the statement about what the question asks; a later statement gives %s)", w.why, numText(text, nums[cm.idx])), cm.strength
				case late > early:
					return v, cm.strength
				}
				return decided(Undecided, "the last statement gives %s, an earlier one %s (the reference %s): which is the answer is unclear", numText(text, nums[cm.idx]), numText(text, nums[i]), ref.raw), cm.strength
			}
		}
	}
	if cm.strength == weak {
		for i := range nums {
			if i != cm.idx && m.numVerdict(nums[i], ref, pol).label == Correct {
				return decided(Undecided, "the answer mentions the reference %s but ends on %s: which is the answer is unclear", ref.raw, numText(text, nums[cm.idx])), cm.strength
			}
		}
	}
	return v, cm.strength
}

// statementAt is the statement of text that holds byte i.
func statementAt(text string, i int) string {
	for _, s := range sentenceSpans(text) {
		if i >= s.start && i < s.end {
			return text[s.start:s.end]
		}
	}
	return ""
}

var stopWords = map[string]bool{"what": true, "which": true, "that": true, "this": true, "with": true, "from": true, "have": true, "does": true,
	"many": true, "much": true, "give": true, "round": true, "rounded": true, "decimal": true, "places": true, "place": true, "there": true,
	"their": true, "into": true, "over": true, "after": true, "before": true, "each": true, "your": true, "they": true, "them": true, "when": true,
	"were": true, "been": true, "will": true, "would": true, "about": true, "nearest": true, "whole": true, "number": true, "amount": true}

// subjectOverlap counts the content words of the question that a
// statement repeats: the statement about what was asked names it.
func subjectOverlap(question, statement string) int {
	words := func(s string) map[string]bool {
		out := map[string]bool{}
		for _, w := range strings.Fields(Normalize(s)) {
			w = strings.TrimSuffix(w, "s")
			if len(w) >= 4 && !stopWords[w] && !strings.ContainsAny(w, "0123456789") {
				out[w] = true
			}
		}
		return out
	}
	q, st := words(question), words(statement)
	n := 0
	for w := range st {
		if q[w] {
			n++
		}
	}
	return n
}

func numText(text string, n numVal) string { return strings.TrimSpace(text[n.start:n.end]) }

// numVerdict compares one number with a numeric reference: units
// converted, signs read from direction words, percent and fraction, then
// precision (more than asked: correct; less: partial when the value is the
// reference rounded).
func (m *Match) numVerdict(n numVal, ref *refInfo, pol policy) verdict {
	r := ref.num
	a, aDec := n.value, n.decimals
	if !n.signed && n.direction < 0 {
		a = -a
	}
	written := strings.TrimSpace(fmtNum(n.value))
	if n.hasUnit && r.hasUnit && n.unit.dim != r.unit.dim && !(n.unit.name == "pound" && r.unit.dim == "currency:GBP") {
		return decided(Incorrect, "%s is in %s, the reference %s in %s", written, n.unit.name, ref.raw, r.unit.name)
	}
	if n.hasUnit && r.hasUnit && n.unit.dim == "mass" && n.unit.name == "pound" && strings.HasPrefix(r.unit.dim, "currency:") {
		n.unit = r.unit // "1200 pounds" for £1,200
	}
	converted := false
	if n.hasUnit && r.hasUnit && n.unit.name != r.unit.name {
		converted = true
		a = r.unit.fromBase(n.unit.toBase(a))
		aDec += int(math.Round(math.Log10(r.unit.factor / n.unit.factor)))
	}
	if n.ratio != r.ratio {
		aDec = max(aDec, 6)
	}
	refV, refDec := r.value, r.decimals
	if ref.qDown {
		a, refV = math.Abs(a), math.Abs(refV)
	}
	type try struct {
		v   float64
		dec int
	}
	tries := []try{{a, aDec}}
	refPercent := r.percent || ref.rnd.percent
	if n.percent != refPercent && pick(pol.percentAsFraction, m.opts.PercentAsFraction) {
		if refPercent && !n.percent {
			tries = append(tries, try{a * 100, aDec - 2})
		} else if n.percent && !refPercent {
			tries = append(tries, try{a / 100, aDec + 2})
		}
	}
	best := verdict{label: Incorrect}
	for _, t := range tries {
		l, why := precisionVerdict(t.v, t.dec, refV, refDec, ref.rnd, converted)
		if l == Correct {
			return decided(Correct, "%s %s the reference %s", fmtNum(t.v), why, ref.raw)
		}
		if l == Partial && best.label != Partial {
			best = decided(Partial, "%s %s the reference %s", fmtNum(t.v), why, ref.raw)
		}
	}
	if best.label == Partial {
		return best
	}
	if !ref.qDown && a*refV < 0 && math.Abs(math.Abs(a)-math.Abs(refV)) <= 1e-9*math.Max(1, math.Abs(refV)) {
		return decided(Incorrect, "%s has the opposite sign of the reference %s", fmtNum(a), ref.raw)
	}
	return decided(Incorrect, "%s differs from the reference %s", fmtNum(a), ref.raw)
}

// precisionVerdict compares a value written to aDec decimals with the
// reference. An integer reference with no rounding asked is a count or an
// exact value: a more precise answer must equal it (57.4 is not 57),
// unless the answer was converted from another unit.
func precisionVerdict(a float64, aDec int, r float64, rDec int, rnd rounding, converted bool) (Label, string) {
	diff := math.Abs(a - r)
	if diff <= 1e-9*math.Max(1, math.Abs(r)) {
		return Correct, "equals"
	}
	need := rnd.need(r, rDec)
	half := func(d int) float64 { return 0.5*math.Pow(10, -float64(d))*(1+1e-9) + 1e-12 }
	if !rnd.set && rDec <= 0 && aDec > rDec && !converted {
		return Incorrect, ""
	}
	if aDec >= need {
		if diff <= half(need) {
			return Correct, "agrees at the precision asked with"
		}
		return Incorrect, ""
	}
	if a != 0 && diff <= half(aDec) && diff <= 0.15*math.Abs(r) {
		return Partial, "is less precise than asked (partial credit) but agrees with"
	}
	return Incorrect, ""
}

// ---- dates

type dateMention struct {
	start, end int
	dates      []Date
}

var (
	monthDayRe = regexp.MustCompile(`\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b`)
	monthRe    = regexp.MustCompile(`(?i)\b(january|february|march|april|june|july|august|september|october|november|december)\b`)
	isoInText  = regexp.MustCompile(`\b\d{4}-\d{1,2}(?:-\d{1,2})?\b|\b\d{1,2}/\d{1,2}/\d{4}\b`)
)

// hasMonthWord reports a month name or abbreviation among the words of a
// lower-cased text: without one, the date patterns of words are skipped.
func hasMonthWord(lower string) bool {
	found := false
	eachWord(lower, func(i, j int) bool {
		found = monthNames[lower[i:j]] > 0
		return !found
	})
	return found
}

// isoDates finds 2023-01-05, 2023-01 and 01/05/2023, only where a digit
// is followed by - or /.
func isoDates(text string) [][]int {
	for i := 0; i+1 < len(text); i++ {
		if isDigit(text[i]) && (text[i+1] == '-' || text[i+1] == '/') {
			return isoInText.FindAllStringIndex(text, 32)
		}
	}
	return nil
}

// dateMentions finds the dates written in text: full dates, month and
// year, ISO dates.
func dateMentions(text string) []dateMention {
	var out []dateMention
	lower := lowerASCII(text)
	hasMonth := hasMonthWord(lower)
	covered := func(i int) bool {
		for _, d := range out {
			if i >= d.start && i < d.end {
				return true
			}
		}
		return false
	}
	for _, loc := range isoDates(text) {
		if d := ParseDates(text[loc[0]:loc[1]]); len(d) > 0 {
			out = append(out, dateMention{loc[0], loc[1], d})
		}
	}
	if !hasMonth {
		return out
	}
	for _, loc := range dateInLowerRe.FindAllStringIndex(lower, 32) {
		if covered(loc[0]) {
			continue
		}
		if d := ParseDates(strings.TrimSpace(text[loc[0]:loc[1]])); len(d) > 0 {
			out = append(out, dateMention{loc[0], loc[1], d})
		}
	}
	for _, m := range monthDayRe.FindAllStringSubmatchIndex(lower, 32) {
		if covered(m[0]) {
			continue
		}
		var mo, day string
		if m[2] >= 0 {
			mo, day = text[m[2]:m[3]], text[m[4]:m[5]]
		} else {
			day, mo = text[m[6]:m[7]], text[m[8]:m[9]]
		}
		d, _ := strconv.Atoi(day)
		if month := monthNames[strings.ToLower(mo)]; month > 0 && d >= 1 && d <= 31 {
			out = append(out, dateMention{m[0], m[1], []Date{{0, month, d}}})
		}
	}
	return out
}

func inDateMention(ds []dateMention, i int) bool {
	for _, d := range ds {
		if i >= d.start && i < d.end {
			return true
		}
	}
	return false
}

func dateKey(ds []Date) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(strconv.Itoa(d.Year) + "-" + strconv.Itoa(d.Month) + "-" + strconv.Itoa(d.Day) + ";")
	}
	return b.String()
}

func judgeDate(text string, ref *refInfo) verdict {
	ms := dateMentions(text)
	// Years alone, and month names alone when a month is asked.
	for _, loc := range yearRe.FindAllStringIndex(text, 32) {
		if !inDateMention(ms, loc[0]) {
			y, _ := strconv.Atoi(text[loc[0]:loc[1]])
			ms = append(ms, dateMention{loc[0], loc[1], []Date{{y, 0, 0}}})
		}
	}
	if ref.askMonth {
		for _, loc := range monthRe.FindAllStringIndex(text, 32) {
			if !inDateMention(ms, loc[0]) {
				ms = append(ms, dateMention{loc[0], loc[1], []Date{{0, monthNames[strings.ToLower(text[loc[0]:loc[1]])], 0}}})
			}
		}
	}
	sortByStart(ms, func(d dateMention) int { return d.start })
	// A year the question gives completes a date written without one; a
	// year alone that the question gives is an echo.
	var kept []dateMention
	for _, d := range ms {
		if len(d.dates) == 1 && d.dates[0].Month == 0 && d.dates[0].Year == ref.questionYear && ref.questionYear != 0 && !ref.askYear {
			continue
		}
		for k := range d.dates {
			if d.dates[k].Year == 0 && d.dates[k].Day > 0 && ref.questionYear != 0 {
				d.dates[k].Year = ref.questionYear
			}
		}
		kept = append(kept, d)
	}
	cands := make([]cand, len(kept))
	bold, paren := boldSpans(text), parenDepths(text)
	for i, d := range kept {
		cands[i] = cand{start: d.start, end: d.end, bold: inSpans(bold, d.start), paren: paren[d.start] > 0, key: dateKey(d.dates)}
	}
	cm := commit(text, cands)
	if cm.idx < 0 {
		return decided(Incorrect, "the answer states no date; the reference is %s", ref.raw)
	}
	v := dateVerdict(kept[cm.idx].dates, ref)
	if cm.hedge {
		if w := dateVerdict(kept[cm.alt].dates, ref); w.label != v.label || v.label != Correct {
			return decided(Incorrect, "the answer hedges between two dates; the reference is %s", ref.raw)
		}
	}
	if v.label == Incorrect && cm.strength < marked {
		for _, i := range cm.earlier {
			if dateVerdict(kept[i].dates, ref).label == Correct {
				return decided(Undecided, "the answer gives the reference date %s earlier and another date last", ref.raw)
			}
		}
	}
	return v
}

func precisionOf(d Date) int {
	switch {
	case d.Day > 0:
		return 3
	case d.Month > 0:
		return 2
	}
	return 1
}

// dateVerdict compares a date's readings with the reference's.
func dateVerdict(ans []Date, ref *refInfo) verdict {
	best := decided(Incorrect, "the date differs from the reference %s", ref.raw)
	for _, r := range ref.dates {
		for _, a := range ans {
			switch {
			case ref.askYear:
				if a.Year != 0 && a.Year == r.Year {
					return decided(Correct, "the year %d is the reference's (%s)", a.Year, ref.raw)
				}
				continue
			case ref.askMonth:
				if a.Month != 0 && a.Month == r.Month && (a.Year == 0 || r.Year == 0 || a.Year == r.Year) {
					return decided(Correct, "the month is the reference's (%s)", ref.raw)
				}
				continue
			}
			pa, pr := precisionOf(a), precisionOf(r)
			p := min(pa, pr)
			same := (a.Year == r.Year || a.Year == 0) && (p < 2 || a.Month == r.Month) && (p < 3 || a.Day == r.Day)
			if !same {
				continue
			}
			if a.Year == 0 && r.Year != 0 {
				best = decided(Partial, "the date agrees with the reference %s but gives no year", ref.raw)
				continue
			}
			if pa >= pr {
				return decided(Correct, "the date is the reference date %s", ref.raw)
			}
			best = decided(Partial, "the date agrees with the reference %s but is less precise (partial credit)", ref.raw)
		}
	}
	return best
}

// ---- identifiers

var (
	digitTokenRe   = regexp.MustCompile(`\d[\d-]*[\dXx]|\d`)
	spacedDigitsRe = regexp.MustCompile(`\b\d+(?: \d+)+\b`)
)

// identifierCands lists the identifiers of the reference's kind in text.
func identifierCands(text string, ref *refInfo) []cand {
	bold, paren := boldSpans(text), parenDepths(text)
	mk := func(s, e int, key string) cand {
		return cand{start: s, end: e, bold: inSpans(bold, s), paren: paren[s] > 0, key: key}
	}
	var out []cand
	switch ref.idKind {
	case "doi":
		for _, loc := range doiRe.FindAllStringIndex(text, 32) {
			out = append(out, mk(loc[0], loc[1], canonDOI(text[loc[0]:loc[1]])))
		}
	case "arxiv":
		for _, m := range arxivRe.FindAllStringSubmatchIndex(text, 32) {
			out = append(out, mk(m[0], m[1], text[m[2]:m[3]]))
		}
	default:
		n := len(ref.idCanon)
		for _, loc := range digitTokenRe.FindAllStringIndex(text, 256) {
			s, e := loc[0], loc[1]
			if s > 0 {
				p := text[s-1]
				if isLetter(p) || p == '.' || p == '/' || p == '_' || (p == '-' && s > 1 && (isLetter(text[s-2]) || text[s-2] >= '0' && text[s-2] <= '9')) {
					continue
				}
			}
			if e < len(text) && (isLetter(text[e]) && text[e] != 'X' && text[e] != 'x' || text[e] == '.' && e+1 < len(text) && text[e+1] >= '0' && text[e+1] <= '9' || text[e] == '/') {
				continue
			}
			key := canonDigits(strings.TrimRight(text[s:e], "-"))
			if len(key) < max(4, n-3) || len(key) > n+3 {
				continue
			}
			out = append(out, mk(s, e, key))
		}
		// Digits grouped by spaces ("4 006381 333931") when they make the
		// reference's length.
		for _, loc := range spacedDigitsRe.FindAllStringIndex(text, 64) {
			if key := canonDigits(text[loc[0]:loc[1]]); len(key) == n {
				out = append(out, mk(loc[0], loc[1], key))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	}
	return out
}

func judgeIdentifier(text string, ref *refInfo) verdict {
	cands := identifierCands(text, ref)
	cm := commit(text, cands)
	if cm.idx < 0 {
		return decided(Incorrect, "the answer gives no identifier like the reference %s", ref.raw)
	}
	got := cands[cm.idx].key
	if cm.hedge && (got == ref.idCanon || cands[cm.alt].key == ref.idCanon) {
		return decided(Incorrect, "the answer hedges between identifiers %s and %s", got, cands[cm.alt].key)
	}
	if got == ref.idCanon {
		return decided(Correct, "the identifier %s is the reference %s (compared as a string)", got, ref.raw)
	}
	if cm.strength < marked {
		for _, i := range cm.earlier {
			if cands[i].key == ref.idCanon {
				return decided(Undecided, "the answer gives the reference %s earlier and %s last", ref.raw, got)
			}
		}
	}
	if cm.strength == weak {
		for _, c := range cands {
			if c.key == ref.idCanon {
				return decided(Undecided, "the answer mentions the reference %s but ends on %s", ref.raw, got)
			}
		}
	}
	return decided(Incorrect, "the identifier %s is not the reference %s (identifiers are compared as strings)", got, ref.raw)
}

// ---- sequences

var (
	seqTokenRe  = regexp.MustCompile(`[ACDEFGHIKLMNPQRSTVWYUXBZOJ*]+(?:[ \t]?\n?[ACDEFGHIKLMNPQRSTVWYUXBZOJ*]+)*`)
	threeLetter = map[string]byte{"ala": 'A', "arg": 'R', "asn": 'N', "asp": 'D', "cys": 'C', "gln": 'Q', "glu": 'E', "gly": 'G', "his": 'H',
		"ile": 'I', "leu": 'L', "lys": 'K', "met": 'M', "phe": 'F', "pro": 'P', "ser": 'S', "thr": 'T', "trp": 'W', "tyr": 'Y', "val": 'V',
		"sec": 'U', "pyl": 'O'}
	threeRunRe  = regexp.MustCompile(`(?i)\b(?:ala|arg|asn|asp|cys|gln|glu|gly|his|ile|leu|lys|met|phe|pro|ser|thr|trp|tyr|val|sec|pyl)(?:[-\s]+(?:ala|arg|asn|asp|cys|gln|glu|gly|his|ile|leu|lys|met|phe|pro|ser|thr|trp|tyr|val|sec|pyl)){2,}\b`)
	fastaHeader = regexp.MustCompile(`(?m)^>.*$`)
)

func nucleic(s string) bool { return strings.Trim(s, "ACGTUN") == "" }

func judgeSequence(text string, ref *refInfo) verdict {
	clean := fastaHeader.ReplaceAllStringFunc(text, func(s string) string { return strings.Repeat(" ", len(s)) })
	if t := strings.TrimSpace(clean); !strings.ContainsAny(t, " \n") && strings.ToLower(t) == t {
		clean = strings.ToUpper(clean) // one lower-case token: the sequence
	}
	bold, paren := boldSpans(clean), parenDepths(clean)
	var cands []cand // each candidate's key is its sequence
	add := func(s, e int, seq string) {
		seq = strings.Trim(seq, "*")
		if len(seq) < max(2, len(ref.seq)/2) || (len(seq) < 4 && len(ref.seq) >= 4) {
			return
		}
		cands = append(cands, cand{start: s, end: e, bold: inSpans(bold, s), paren: paren[s] > 0, key: seq})
	}
	for _, loc := range threeRunRe.FindAllStringIndex(clean, 16) {
		var b strings.Builder
		for _, w := range strings.FieldsFunc(clean[loc[0]:loc[1]], func(r rune) bool { return r == '-' || r == ' ' || r == '\n' || r == '\t' }) {
			b.WriteByte(threeLetter[strings.ToLower(w)])
		}
		add(loc[0], loc[1], b.String())
	}
	for _, loc := range seqTokenRe.FindAllStringIndex(clean, 256) {
		s, e := loc[0], loc[1]
		if s > 0 && isLetter(clean[s-1]) || e < len(clean) && isLetter(clean[e]) {
			// Part of a word: trim to the whole-word pieces.
			continue
		}
		add(s, e, strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' {
				return -1
			}
			return r
		}, clean[s:e]))
	}
	// Intermediates: a DNA sequence where a protein is asked, and the
	// question's own sequences.
	refNucleic := nucleic(ref.seq)
	var kc []cand
	for _, c := range cands {
		if !ref.questionSequences[c.key] && (refNucleic || !nucleic(c.key)) {
			kc = append(kc, c)
		}
	}
	if len(kc) == 0 {
		kc = cands
	}
	sortByStart(kc, func(c cand) int { return c.start })
	cm := commit(clean, kc)
	if cm.idx < 0 {
		return decided(Incorrect, "the answer gives no sequence; the reference is %s", ref.seq)
	}
	got := kc[cm.idx].key
	if cm.hedge {
		return decided(Incorrect, "the answer hedges between sequences %s and %s", truncate(got, 40), truncate(kc[cm.alt].key, 40))
	}
	if got == ref.seq {
		return decided(Correct, "the sequence is the reference (%d residues)", len(ref.seq))
	}
	return decided(Incorrect, "the sequence %s differs from the reference %s", truncate(got, 60), truncate(ref.seq, 60))
}

// sortByStart orders mentions by where they start in the text, keeping
// the order of those that start at one place.
func sortByStart[T any](xs []T, start func(T) int) {
	slices.SortStableFunc(xs, func(a, b T) int { return start(a) - start(b) })
}

// ---- yes/no

var (
	yesNoWordRe = regexp.MustCompile(`(?i)(?:^|[.!?;:\n]\s*|\banswer\s+is\s+|\bso\s+|\bthus\s+|\btherefore\s+|\bhence\s+|\bshort\s+answer\s*:?\s*)[*_"']*\b(yes|no|true|false|correct|incorrect)\b`)
	yesNoHedge  = regexp.MustCompile(`(?i)\byes\s*(?:/|or|and)\s*no\b|\bno\s*(?:/|or)\s*yes\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|\bhard\s+to\s+say\b|\bit\s+depends\b|\bnot\s+sure\b|\bunclear\b|\bcould\s+be\s+(?:either|yes|no)\b`)
)

func judgeYesNo(text string, ref *refInfo) verdict {
	t := strings.TrimSpace(text)
	if yesNoHedge.MatchString(t) {
		return decided(Incorrect, "the answer does not commit to yes or no: a hedge")
	}
	pol := 0
	for _, m := range yesNoWordRe.FindAllStringSubmatch(t, 16) {
		p := 1
		switch strings.ToLower(m[1]) {
		case "no", "false", "incorrect":
			p = -1
		}
		if pol != 0 && p != pol {
			return decided(Incorrect, "the answer says both yes and no: a hedge")
		}
		pol = p
	}
	if pol == 0 {
		return decided(Undecided, "the answer says neither yes nor no")
	}
	// A yes whose own figures contradict it.
	if th := ref.threshold; th != nil {
		nums := findNumbers(t, false)
		var vals []numVal
		for _, n := range nums {
			if n.value != th.value {
				vals = append(vals, n)
			}
		}
		if len(vals) >= 1 {
			cands := make([]cand, len(vals))
			for i, n := range vals {
				cands[i] = cand{start: n.start, end: n.end, bold: n.bold, paren: n.paren, key: numKey(n)}
			}
			if cm := commit(t, cands); cm.idx >= 0 && !cm.hedge && len(distinctKeys(cands)) == 1 {
				holds := vals[cm.idx].value > th.value
				if !th.above {
					holds = vals[cm.idx].value < th.value
				}
				if (pol > 0) != holds {
					return decided(Incorrect, "the answer's own figure %s contradicts its %s", fmtNum(vals[cm.idx].value), map[bool]string{true: "yes", false: "no"}[pol > 0])
				}
			}
		}
	}
	if (pol > 0) == (ref.yesNo > 0) {
		return decided(Correct, "the answer's %s agrees with the reference %q", map[bool]string{true: "yes", false: "no"}[pol > 0], ref.raw)
	}
	return decided(Incorrect, "the answer's %s contradicts the reference %q", map[bool]string{true: "yes", false: "no"}[pol > 0], ref.raw)
}

func distinctKeys(cs []cand) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		out[c.key] = true
	}
	return out
}

// ---- text

var parenRe = regexp.MustCompile(`\([^()]*\)`)

// wordEq compares two normalized words loosely: plurals, one or two
// letters of spelling (aluminium, aluminum; mitochondrion, mitochondria).
func wordEq(a, b string) bool {
	if a == b {
		return true
	}
	if strings.ContainsAny(a, "0123456789") || strings.ContainsAny(b, "0123456789") {
		return false
	}
	if strings.TrimSuffix(a, "s") == strings.TrimSuffix(b, "s") || strings.TrimSuffix(a, "es") == strings.TrimSuffix(b, "es") {
		return len(a) > 2 && len(b) > 2
	}
	n := min(len(a), len(b))
	if n < 5 || strings.ContainsAny(a, "0123456789") || strings.ContainsAny(b, "0123456789") {
		return false
	}
	limit := 1
	if n >= 9 {
		limit = 2
	}
	return levenshtein(a, b, limit) <= limit
}

// levenshtein is the edit distance of a and b, or limit+1 once it is past limit.
func levenshtein(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// findWords returns the index in words where seq starts (words compared
// loosely), or -1.
func findWords(words, seq []string, exact bool) int {
	for i := 0; i+len(seq) <= len(words); i++ {
		ok := true
		for j := range seq {
			if words[i+j] != seq[j] && (exact || !wordEq(words[i+j], seq[j])) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// textMention finds the reference in normalized words: any alias, or a
// person's surname with a compatible given name or initial.
func (ref *refInfo) textMention(words []string) int {
	for _, a := range ref.aliases {
		if i := findWords(words, a, ref.exactWords); i >= 0 {
			return i
		}
	}
	if ref.person {
		for i, w := range words {
			if w != ref.surname {
				continue
			}
			given := false
			for k := max(0, i-3); k < i; k++ {
				if wordEq(words[k], ref.given) || words[k] == ref.given[:1] {
					given = true
				}
			}
			if given {
				return i
			}
			ok := true
			for k := max(0, i-3); k < min(len(words), i+3); k++ {
				g := words[k]
				if k == i || len(g) == 0 {
					continue
				}
				if len(g) == 1 && k < i && g[0] != ref.given[0] && k == i-1 && len(words[max(0, i-2)]) == 1 {
					ok = false
				}
				if len(g) > 1 && len(g) < 12 && k == i-1 && !wordEq(g, ref.given) && isName(g) {
					ok = false
				}
			}
			if ok {
				return i
			}
		}
	}
	return -1
}

// isName guesses that a word next to a surname is a given name (not
// "author", "by", "is").
func isName(w string) bool {
	switch w {
	case "is", "by", "was", "author", "first", "last", "second", "dr", "prof", "sir", "professor", "and", "of", "the", "et", "al", "team", "lab":
		return false
	}
	return true
}

var (
	orRe        = regexp.MustCompile(`(?i)\bor\b`)
	slashAltRe  = regexp.MustCompile(`\p{L}\s*/\s*\p{L}`)
	extraItemRe = regexp.MustCompile(`^[\p{L}][\p{L}\d'’ .-]{0,40}$`)
)

// judgeFreeText decides a text reference (a name, a title, a phrase): the
// reference's words in the answer, not negated and not among alternatives,
// is correct; a short answer sharing no word with it is incorrect; the
// rest is undecided, for a judge.
func judgeFreeText(text string, ref *refInfo) verdict {
	flat := stripMarkdown(text)
	if strings.Contains(flat, "(") {
		flat = parenRe.ReplaceAllString(flat, " ")
	}
	words := strings.Fields(Normalize(flat))
	allWords := strings.Fields(Normalize(text))
	at := ref.textMention(words)
	if at < 0 {
		at = ref.textMention(allWords)
		words = allWords
	}
	refWords := len(ref.aliases[0])
	if at < 0 {
		// "Curie, Marie" for Marie Curie.
		if last, first, ok := strings.Cut(stripMarkdown(text), ","); ok && !strings.Contains(first, ",") {
			if sw := strings.Fields(Normalize(first + " " + last)); ref.textMention(sw) >= 0 && len(sw) <= refWords+2 {
				return decided(Correct, "%q is the reference %q written last name first", truncate(text, 80), ref.raw)
			}
		}
	}
	if at < 0 {
		if len(allWords) <= max(4, refWords+3) {
			if shared, extra := wordOverlap(allWords, ref.aliases[0]); shared > 0 && extra > 0 {
				return decided(Undecided, "%q shares words with the reference %q but says it differently; whether it says the same is for a judge", truncate(text, 80), ref.raw)
			}
			return decided(Incorrect, "%q is not the reference %q", truncate(text, 80), ref.raw)
		}
		return decided(Undecided, "the answer does not state the reference %q in its words; whether it says the same is for a judge", ref.raw)
	}
	// Negated: "not Canberra".
	if at > 0 && (words[at-1] == "not" || words[at-1] == "never") {
		return decided(Incorrect, "the answer negates the reference %q", ref.raw)
	}
	// A hedge: alternatives offered beside the reference ("Canberra/Sydney").
	if len(words) <= 6 && slashAltRe.MatchString(flat) {
		return decided(Incorrect, "the answer offers alternatives separated by a slash: a hedge")
	}
	if hedged(flat) && (len(words) <= 15 || eitherIn(flat) || orRe.MatchString(sentenceAround(flat, ref))) {
		if !strings.Contains(strings.ToLower(flat), "and/or") {
			return decided(Incorrect, "the answer offers alternatives to choose from: a hedge")
		}
	}
	if items := listItems(flat); len(items) >= 2 && shortItems(items, 4) && refItemBare(items, ref) {
		others := 0
		for _, it := range items {
			iw := strings.Fields(Normalize(it))
			if ref.textMention(iw) < 0 && len(iw) <= 3 && extraItemRe.MatchString(strings.TrimSpace(it)) {
				others++
			}
		}
		if others > 0 {
			return decided(Incorrect, "the answer lists %d other candidates beside the reference %q: a hedge", others, ref.raw)
		}
	}
	return decided(Correct, "the answer states the reference %q", ref.raw)
}

// refItemBare reports a list whose item naming the reference is little
// more than the reference ("Saturn; Jupiter", not "It was Lincoln, the
// 16th president").
func refItemBare(items []string, ref *refInfo) bool {
	for _, it := range items {
		w := strings.Fields(Normalize(it))
		if ref.textMention(w) >= 0 {
			return len(w) <= len(ref.aliases[0])+1
		}
	}
	return false
}

// wordOverlap counts the words of ans that are in ref, and those that
// are not (articles and other short words aside).
func wordOverlap(ans, ref []string) (shared, extra int) {
	in := map[string]bool{}
	for _, w := range ref {
		in[w] = true
	}
	for _, w := range ans {
		switch {
		case in[w]:
			shared++
		case len(w) > 2 && !stopWords[w]:
			extra++
		}
	}
	return shared, extra
}

// shortItems reports a list whose every item has at most n words.
func shortItems(items []string, n int) bool {
	for _, it := range items {
		if len(strings.Fields(it)) > n {
			return false
		}
	}
	return true
}

// sentenceAround is the statement of flat that names the reference.
func sentenceAround(flat string, ref *refInfo) string {
	for _, s := range sentenceSpans(flat) {
		if ref.textMention(strings.Fields(Normalize(flat[s.start:s.end]))) >= 0 {
			return flat[s.start:s.end]
		}
	}
	return ""
}

// listItems splits a short answer that is a list ("Saturn; Jupiter",
// "Jupiter, Saturn and Mars"); prose gives none.
func listItems(s string) []string {
	s = strings.TrimSpace(s)
	if len(strings.Fields(s)) > 16 || strings.Count(s, ". ") > 0 {
		return nil
	}
	var items []string
	for _, p := range splitParts(s) {
		items = append(items, p.value)
	}
	if len(items) < 2 {
		return nil
	}
	return items
}

var mdRe = regexp.MustCompile("\\*\\*|__|`|^#+\\s*|\\[|\\]\\([^)]*\\)")

func stripMarkdown(s string) string {
	if !strings.ContainsAny(s, "*_`[#") {
		return s
	}
	return mdRe.ReplaceAllString(s, "")
}

// symbolCase classifies an alphanumeric symbol with a digit (a gene or
// protein symbol such as BRCA1, Brca1, Trp53): "upper" (human genes, by
// HGNC convention), "title" (mouse and rat, MGI/RGD) or "" (anything else,
// lower case included, which reads as carelessness rather than a species).
func symbolCase(s string) string {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), ".*_\"'"))
	if len(s) < 2 || len(s) > 15 || !strings.ContainsAny(s, "0123456789") {
		return ""
	}
	letters, upper := 0, 0
	for i, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			letters++
			upper++
		case r >= 'a' && r <= 'z':
			letters++
			if i == 0 {
				return ""
			}
		case (r >= '0' && r <= '9') || r == '-':
		default:
			return ""
		}
	}
	switch {
	case letters < 2:
		return ""
	case upper == letters:
		return "upper"
	case upper == 1 && s[0] >= 'A' && s[0] <= 'Z':
		return "title"
	}
	return ""
}

// symbolCaseConflict reports an answer that names the reference's symbol
// in another species' case convention (Brca1 for BRCA1).
func symbolCaseConflict(answer, reference string) (string, bool) {
	rc, ac := symbolCase(reference), symbolCase(answer)
	if rc == "" || ac == "" || rc == ac || !strings.EqualFold(strings.TrimSpace(answer), strings.TrimSpace(reference)) {
		return "", false
	}
	return fmt.Sprintf("%q and the reference %q differ in case, which for gene symbols names another species (BRCA1 human, Brca1 mouse)", answer, reference), true
}
