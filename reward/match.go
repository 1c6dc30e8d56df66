package reward

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dive-env/dive/tasks"
)

// MatchName is the name of the answer-matching scorer.
const MatchName = "match"

// MatchOptions configure the answer-matching scorer.
type MatchOptions struct {
	// RelTol and AbsTol bound the difference between two numbers that match.
	RelTol, AbsTol float64
	// ReferencePrecision accepts a number that equals a reference with
	// decimals once rounded to as many decimals (45.8333 for 45.83).
	ReferencePrecision bool
	// PercentAsFraction accepts 0.57 for 57% and 57% for 0.57; 57 for 57%
	// is always accepted.
	PercentAsFraction bool
	// Containment accepts a short answer that contains the reference as
	// whole words ("The capital is Paris." for "Paris") unless it hedges
	// with "or".
	Containment bool
	// Ordered requires the parts of a multi-part answer in the reference's order.
	Ordered bool
	// Extraction lists the ways the answer is taken from the response, in
	// order (nil: DefaultExtraction).
	Extraction []string
}

// DefaultMatchOptions are the options of the registered "match" scorer.
func DefaultMatchOptions() MatchOptions {
	return MatchOptions{RelTol: 1e-6, AbsTol: 1e-9, ReferencePrecision: true, PercentAsFraction: true, Containment: true}
}

// Match scores answers that are numbers (with separators, signs, percents,
// multipliers, words, rounding asked for by the question), dates, yes/no,
// free text, and multi-part answers and lists with partial credit.
type Match struct {
	opts  MatchOptions
	cache refCache
	units UnitConverter
}

// UnitConverter converts a value between units (GNU units in the tool pool
// is one); the matcher uses it when an answer's unit differs from the
// reference's ("3.2 km" for "3200 m").
type UnitConverter interface {
	ConvertUnits(ctx context.Context, value float64, from, to string) (float64, error)
}

// WithUnits sets the converter for answers in other units than the reference.
func (m *Match) WithUnits(c UnitConverter) *Match {
	m.units = c
	return m
}

// refCache keeps what the scorer reads from a reference and its question;
// an RL run scores the same tasks many times. It stops growing at maxCached.
type refCache struct {
	m sync.Map // refKey → *refInfo
	n atomic.Int64
}

const maxCached = 1 << 16

// maxParts bounds the parts of a multi-part answer or reference that are matched.
const maxParts = 100

type refKey struct{ reference, question string }

// refInfo is the parsed reference.
type refInfo struct {
	rnd   rounding
	parts []part
	norm  string
	qty   Quantity
	isQty bool
	dates []Date
	yesNo int // 0 not a yes/no answer, 1 yes, -1 no
}

func (c *refCache) get(reference, question string) *refInfo {
	k := refKey{reference, question}
	if v, ok := c.m.Load(k); ok {
		return v.(*refInfo)
	}
	info := &refInfo{rnd: roundingFrom(question), parts: splitParts(reference), norm: Normalize(reference), dates: ParseDates(reference)}
	info.qty, info.isQty = ParseQuantity(reference)
	if yes, ok := yesNo(reference); ok && len(strings.Fields(info.norm)) == 1 {
		info.yesNo = map[bool]int{true: 1, false: -1}[yes]
	}
	if c.n.Load() < maxCached {
		c.n.Add(1)
		c.m.Store(k, info)
	}
	return info
}

// NewMatch returns the answer-matching scorer.
func NewMatch(opts MatchOptions) *Match { return &Match{opts: opts} }

// Name implements Scorer.
func (m *Match) Name() string { return MatchName }

// Score implements Scorer.
func (m *Match) Score(ctx context.Context, task *tasks.Task, response string) (Result, error) {
	ans := ExtractWith(response, m.opts.Extraction)
	res := Result{Extracted: ans.Text, Scorer: MatchName, Components: map[string]float64{
		"answer_found": b2f(ans.Text != ""), "answer_tagged": b2f(ans.Method != MethodWhole),
	}}
	if ans.Text == "" {
		res.Label, res.Explanation = Incorrect, "no answer found in the response"
		res.Components["correctness"] = 0
		return res, nil
	}
	score, why, conclusive := m.compareTask(ctx, ans.Text, task)
	res.Score, res.Explanation = score, why
	res.Components["correctness"] = score
	res.Components["conclusive"] = b2f(conclusive)
	switch {
	case score >= 1:
		res.Label = Correct
	case score > 0:
		res.Label = Partial
	default:
		res.Label = Incorrect
	}
	return res, nil
}

// rounding is what the question asks: decimals or significant figures,
// and whether it asks for a percentage.
type rounding struct {
	decimals, sig int
	set           bool
	percent       bool
	// Per-task policy (task metadata), else the scorer's options.
	percentAsFraction, ordered *bool
}

var (
	decimalPlacesRe = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six)\s+decimal(?:\s+places?|\s+points?|s)\b`)
	nearestRe       = regexp.MustCompile(`(?i)\bnearest\s+(whole\s+number|whole|integer|unit|tenth|hundredth|thousandth|ten|hundred|thousand|million)\b`)
	sigFigRe        = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six)\s+significant\s+(?:figures?|digits?)\b`)
	smallCount      = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
	percentAskedRe  = regexp.MustCompile(`(?i)\bpercent(?:age)?\b|%`)
)

func count(s string) int {
	if n, ok := smallCount[strings.ToLower(s)]; ok {
		return n
	}
	n, _ := strconv.Atoi(s)
	return n
}

// roundingFrom reads a rounding instruction from the question.
func roundingFrom(question string) rounding {
	r := rounding{percent: percentAskedRe.MatchString(question)}
	if m := decimalPlacesRe.FindStringSubmatch(question); m != nil {
		r.decimals, r.set = count(m[1]), true
	} else if m := sigFigRe.FindStringSubmatch(question); m != nil {
		r.sig, r.set = count(m[1]), true
	} else if m := nearestRe.FindStringSubmatch(question); m != nil {
		r.decimals = map[string]int{"tenth": 1, "hundredth": 2, "thousandth": 3, "ten": -1, "hundred": -2, "thousand": -3, "million": -6}[strings.ToLower(strings.Fields(m[1])[0])]
		r.set = true
	}
	return r
}

func (r rounding) apply(v float64) float64 {
	if r.sig > 0 {
		return roundSig(v, r.sig)
	}
	return roundTo(v, r.decimals)
}

// Compare scores an answer against a reference: 1 for a match, a fraction
// for a multi-part answer or list matched in part, 0 otherwise, and why.
func (m *Match) Compare(answer, reference, question string) (float64, string) {
	score, why, _ := m.CompareContext(context.Background(), answer, reference, question)
	return score, why
}

// CompareContext is Compare, and whether the verdict is conclusive: false
// when free text simply did not match (a paraphrase an LLM judge could
// still accept), true for matches and for numbers, dates and yes/no. ctx
// bounds unit conversions.
func (m *Match) CompareContext(ctx context.Context, answer, reference, question string) (float64, string, bool) {
	return m.compare(ctx, answer, reference, question, nil)
}

// compareTask compares under the task's policy: metadata
// "percent_as_fraction" and "ordered_parts" (booleans) override the options.
func (m *Match) compareTask(ctx context.Context, answer string, task *tasks.Task) (float64, string, bool) {
	var policy func(*rounding)
	if task.Metadata != nil {
		pf, okP := task.Metadata["percent_as_fraction"].(bool)
		ord, okO := task.Metadata["ordered_parts"].(bool)
		if okP || okO {
			policy = func(r *rounding) {
				if okP {
					r.percentAsFraction = &pf
				}
				if okO {
					r.ordered = &ord
				}
			}
		}
	}
	return m.compare(ctx, answer, task.GroundTruth, task.Question, policy)
}

func pick(p *bool, def bool) bool {
	if p != nil {
		return *p
	}
	return def
}

func (m *Match) compare(ctx context.Context, answer, reference, question string, policy func(*rounding)) (float64, string, bool) {
	ref := m.cache.get(reference, question)
	rnd := ref.rnd
	if policy != nil {
		policy(&rnd)
	}
	if why, conflict := symbolCaseConflict(answer, reference); conflict {
		return 0, why, true
	}
	if n := Normalize(answer); n != "" && n == ref.norm {
		return 1, fmt.Sprintf("%q matches the reference after normalization", answer), true
	}
	if len(ref.parts) < 2 {
		ok, why, conclusive := m.compareOneInfo(ctx, answer, reference, ref, rnd)
		return b2f(ok), why, conclusive
	}
	score, why := m.compareParts(ctx, answer, ref.parts, rnd)
	conclusive := score == 1
	if !conclusive {
		conclusive = true
		for _, p := range ref.parts {
			if info := m.cache.get(p.value, ""); !info.isQty && len(info.dates) == 0 && info.yesNo == 0 {
				conclusive = false // a text part might be a paraphrase
				break
			}
		}
	}
	return score, why, conclusive
}

var (
	yesWords = map[string]bool{"yes": true, "true": true, "correct": true, "y": true, "yeah": true, "affirmative": true}
	noWords  = map[string]bool{"no": true, "false": true, "incorrect": true, "n": true, "not": true, "negative": true}
)

// yesNo reads a yes/no answer from its first word.
func yesNo(s string) (bool, bool) {
	f := strings.Fields(Normalize(s))
	if len(f) == 0 {
		return false, false
	}
	if yesWords[f[0]] {
		return true, true
	}
	if noWords[f[0]] {
		return false, true
	}
	return false, false
}

// compareOne compares a single answer with a single reference.
func (m *Match) compareOne(ctx context.Context, answer, reference string, rnd rounding) (bool, string) {
	ok, why, _ := m.compareOneInfo(ctx, answer, reference, m.cache.get(reference, ""), rnd)
	return ok, why
}

func (m *Match) compareOneInfo(ctx context.Context, answer, reference string, ref *refInfo, rnd rounding) (bool, string, bool) {
	nAns, nRef := Normalize(answer), ref.norm
	if nAns == "" {
		return false, "the answer is empty", true
	}
	if nAns == nRef {
		return true, fmt.Sprintf("%q matches the reference after normalization", answer), true
	}
	if ref.yesNo != 0 {
		if got, ok := yesNo(answer); ok {
			if got == (ref.yesNo > 0) {
				return true, fmt.Sprintf("yes/no answer %q agrees with %q", answer, reference), true
			}
			return false, fmt.Sprintf("yes/no answer %q contradicts %q", answer, reference), true
		}
	}
	if len(ref.dates) > 0 {
		if ansDates := FindDates(answer); len(ansDates) > 0 {
			if datesMatch(ansDates, ref.dates) {
				return true, fmt.Sprintf("date %q is the reference date %q", answer, reference), true
			}
			return false, fmt.Sprintf("date %q differs from the reference date %q", answer, reference), true
		}
	}
	if ref.isQty {
		if ok, why, decided := m.compareQuantity(ctx, answer, ref.qty, reference, rnd); decided {
			return ok, why, true
		}
	}
	if last, first, ok := strings.Cut(answer, ","); ok && !strings.Contains(first, ",") && Normalize(first+" "+last) == nRef {
		return true, fmt.Sprintf("%q is the reference %q written last name first", answer, reference), true
	}
	if m.opts.Containment && nRef != "" && containsWords(nAns, nRef) && !hedged(nAns, nRef) &&
		len(strings.Fields(nAns)) <= 3*len(strings.Fields(nRef))+8 {
		return true, fmt.Sprintf("the answer states the reference %q", reference), true
	}
	return false, fmt.Sprintf("%q does not match the reference %q", answer, reference), false
}

// compareQuantity compares an answer with a numeric reference; decided is
// false when the answer holds no number (then other comparisons may apply).
func (m *Match) compareQuantity(ctx context.Context, answer string, ref Quantity, reference string, rnd rounding) (ok bool, why string, decided bool) {
	got, found := ParseQuantity(answer)
	if !found {
		nums := numbersIn(answer)
		switch {
		case len(nums) == 0:
			return false, "", false
		case len(nums) == 1:
			got = nums[0]
		default:
			// The last number of a sentence usually carries the answer, but a
			// list of different numbers is a hedge.
			for _, n := range nums[1:] {
				if n.Value != nums[0].Value {
					return false, fmt.Sprintf("the answer gives several numbers (%s); the reference is %s", joinValues(nums), reference), true
				}
			}
			got = nums[0]
		}
	}
	if ref.Unit != "" && got.Unit != "" && !sameUnit(ref.Unit, got.Unit) {
		_, curA := currencies[strings.ToLower(got.Unit)]
		_, curR := currencies[strings.ToLower(ref.Unit)]
		if m.units == nil || curA || curR {
			return false, fmt.Sprintf("%q is in %q, the reference %q in %q", answer, got.Unit, reference, ref.Unit), true
		}
		v, err := m.units.ConvertUnits(ctx, got.Value, unitAlias(got.Unit), unitAlias(ref.Unit))
		if err != nil {
			return false, fmt.Sprintf("%q cannot be compared with the reference %q: %v", answer, reference, err), true
		}
		if m.numbersMatch(v, ref, rnd) {
			return true, fmt.Sprintf("%q is %s %s, the reference %s%s", answer, fmtNum(v), ref.Unit, reference, roundingNote(rnd)), true
		}
		// A converted value is as precise as the answer was written: accept
		// a difference within half its last digit, when that is fine enough
		// (at least three or four significant digits).
		if got.Decimals >= 0 && got.Value != 0 {
			rel := math.Pow(10, -float64(got.Decimals)) / 2 / math.Abs(got.Value)
			if rel <= 1e-3 && math.Abs(v-ref.Value) <= rel*math.Abs(ref.Value) {
				return true, fmt.Sprintf("%q is %s %s, the reference %s at the answer's precision", answer, fmtNum(v), ref.Unit, reference), true
			}
		}
		return false, fmt.Sprintf("%q is %s %s, not the reference %s", answer, fmtNum(v), ref.Unit, reference), true
	}
	if rnd.percent && !ref.Percent {
		ref.Percent = true // the question asks for a percentage
	}
	candidates := []float64{got.Value}
	if ref.Percent != got.Percent && pick(rnd.percentAsFraction, m.opts.PercentAsFraction) {
		if ref.Percent {
			candidates = append(candidates, got.Value*100)
		} else {
			candidates = append(candidates, got.Value/100)
		}
	}
	for _, v := range candidates {
		if m.numbersMatch(v, ref, rnd) {
			return true, fmt.Sprintf("%v matches the reference %s%s", fmtNum(v), reference, roundingNote(rnd)), true
		}
	}
	return false, fmt.Sprintf("%v differs from the reference %s%s", fmtNum(got.Value), reference, roundingNote(rnd)), true
}

func roundingNote(r rounding) string {
	switch {
	case !r.set:
		return ""
	case r.sig > 0:
		return fmt.Sprintf(" at %d significant figures", r.sig)
	}
	return fmt.Sprintf(" rounded to %d decimals", r.decimals)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func joinValues(qs []Quantity) string {
	var s []string
	for _, q := range qs {
		s = append(s, fmtNum(q.Value))
	}
	return strings.Join(s, ", ")
}

func (m *Match) numbersMatch(got float64, ref Quantity, rnd rounding) bool {
	diff := math.Abs(got - ref.Value)
	if diff <= m.opts.AbsTol || diff <= m.opts.RelTol*math.Abs(ref.Value) {
		return true
	}
	if rnd.set && rnd.apply(got) == rnd.apply(ref.Value) {
		return true
	}
	if m.opts.ReferencePrecision && ref.Decimals > 0 {
		return roundTo(got, ref.Decimals) == roundTo(ref.Value, ref.Decimals)
	}
	return false
}

// unitAliases spell out abbreviations GNU units reads otherwise (h is
// Planck's constant there).
var unitAliases = map[string]string{"h": "hour", "hr": "hour", "hrs": "hour", "yr": "year", "yrs": "year", "y": "year"}

func unitAlias(u string) string {
	if a, ok := unitAliases[strings.TrimSpace(u)]; ok {
		return a
	}
	return u
}

// currencies maps currency signs and names to ISO codes.
var currencies = map[string]string{"$": "usd", "us$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd", "us dollars": "usd",
	"€": "eur", "eur": "eur", "euro": "eur", "euros": "eur", "£": "gbp", "gbp": "gbp", "pound": "gbp", "pounds": "gbp",
	"¥": "jpy", "jpy": "jpy", "yen": "jpy", "cny": "cny", "yuan": "cny", "rmb": "cny"}

// sameUnit compares unit strings loosely: currencies by code, case of
// prefixes kept (mg ≠ Mg), plural s, periods and spaces ignored.
func sameUnit(a, b string) bool {
	ca, okA := currencies[strings.ToLower(strings.TrimSpace(a))]
	cb, okB := currencies[strings.ToLower(strings.TrimSpace(b))]
	if okA || okB {
		return ca == cb
	}
	norm := func(s string) string {
		s = strings.NewReplacer(" ", "", ".", "", "²", "^2", "³", "^3", "µ", "u", "μ", "u").Replace(s)
		if len(s) > 3 {
			s = strings.TrimSuffix(s, "s")
		}
		return strings.ToLower(s)
	}
	return norm(a) == norm(b)
}

// containsWords reports whether the words of ref appear consecutively in ans.
func containsWords(ans, ref string) bool {
	return strings.Contains(" "+ans+" ", " "+ref+" ")
}

// hedged reports an answer that offers alternatives around the reference.
func hedged(ans, ref string) bool {
	rest := strings.Replace(" "+ans+" ", " "+ref+" ", " ", 1)
	return strings.Contains(rest, " or ") || strings.Contains(rest, " not ")
}

// part is one element of a multi-part answer, with its label if it has one.
type part struct{ label, value string }

var (
	labelRe     = regexp.MustCompile(`^\s*([A-Za-z][\w .'-]{0,40}?)\s*[:=]\s*(.+?)\s*$`)
	partSepRe   = regexp.MustCompile(`\s*(?:;|\n|\|)\s*`)
	commaSepRe  = regexp.MustCompile(`\s*,\s*(?:and\s+)?|\s+and\s+`)
	thousandsRe = regexp.MustCompile(`^\s*[-+]?\d{1,3}(,\d{3})+(\.\d+)?\s*`)
)

// splitParts splits a reference or answer into parts: on semicolons,
// new lines and bars; else on commas (and a final "and") when every piece
// is short and the whole is not a number or a date.
func splitParts(s string) []part {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "."))
	var pieces []string
	if partSepRe.MatchString(s) {
		pieces = partSepRe.Split(s, -1)
	} else if strings.Contains(s, ",") && !thousandsRe.MatchString(s) && len(ParseDates(s)) == 0 {
		if _, isNum := ParseQuantity(s); !isNum {
			pieces = commaSepRe.Split(s, -1)
			for _, p := range pieces {
				if len(strings.Fields(p)) > 6 {
					pieces = nil // prose, not a list
					break
				}
			}
		}
	}
	var out []part
	for _, p := range pieces {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if m := labelRe.FindStringSubmatch(p); m != nil && len(ParseDates(p)) == 0 && !strings.Contains(m[1], "http") {
			out = append(out, part{label: strings.ToLower(strings.TrimSpace(m[1])), value: m[2]})
			continue
		}
		out = append(out, part{value: p})
	}
	if len(out) < 2 {
		return []part{{value: s}}
	}
	return out
}

// compareParts matches the reference's parts with the answer's: by label
// when both are labelled, else in order or as a set; the score is the F1 of
// the matching (its recall when the answer has as many parts).
func (m *Match) compareParts(ctx context.Context, answer string, ref []part, rnd rounding) (float64, string) {
	ans := splitParts(answer)
	nAns, nRef := len(ans), len(ref)
	// Matching is quadratic: past maxParts, parts are counted but not matched.
	if len(ans) > maxParts {
		ans = ans[:maxParts]
	}
	if len(ref) > maxParts {
		ref = ref[:maxParts]
	}
	labelled := ref[0].label != "" && ans[0].label != ""
	used := make([]bool, len(ans))
	matched := 0
	var missing []string
	for i, r := range ref {
		found := false
		for j, a := range ans {
			if used[j] || (pick(rnd.ordered, m.opts.Ordered) && !labelled && j != i) {
				continue
			}
			if labelled && r.label != "" && a.label != "" && r.label != a.label {
				continue
			}
			if ok, _ := m.compareOne(ctx, a.value, r.value, rnd); ok {
				used[j], found = true, true
				break
			}
		}
		if !found && len(ans) == 1 {
			// One unsplit answer (prose): look for the part inside it.
			found = containsWords(Normalize(answer), Normalize(r.value))
		}
		if found {
			matched++
		} else {
			missing = append(missing, r.value)
		}
	}
	n := nAns
	if nAns == 1 {
		n = nRef // an unsplit answer is judged by recall
	}
	precision, recall := float64(matched)/float64(n), float64(matched)/float64(nRef)
	score := 0.0
	if matched > 0 {
		score = 2 * precision * recall / (precision + recall)
	}
	why := fmt.Sprintf("%d of %d reference parts matched", matched, nRef)
	if n != nRef {
		why += fmt.Sprintf(" by %d answer parts (precision %.2f, recall %.2f)", n, precision, recall)
	}
	if len(missing) > 5 {
		missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
	}
	if len(missing) > 0 {
		why += "; missing: " + strings.Join(missing, "; ")
	}
	return math.Round(score*1e6) / 1e6, why
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
