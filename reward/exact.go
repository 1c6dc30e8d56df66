package reward

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/dive-env/dive/tasks"
)

// ExactName is the name of the normalized exact-match scorer.
const ExactName = "exact"

// ExactOptions configure the exact-match scorer.
type ExactOptions struct {
	// RelTol and AbsTol bound the difference between two numbers that match.
	RelTol, AbsTol float64
	// ReferencePrecision also accepts a number that equals the reference once
	// rounded to the reference's own number of decimals (45.8333 for 45.83).
	ReferencePrecision bool
}

// DefaultExactOptions returns a relative tolerance of 1e-6, an absolute one
// of 1e-9, and reference-precision matching on.
func DefaultExactOptions() ExactOptions {
	return ExactOptions{RelTol: 1e-6, AbsTol: 1e-9, ReferencePrecision: true}
}

// Exact scores by normalized exact match with numeric tolerance.
type Exact struct {
	opts ExactOptions
}

// NewExact returns the exact-match scorer.
func NewExact(opts ExactOptions) *Exact { return &Exact{opts: opts} }

// Name implements Scorer.
func (e *Exact) Name() string { return ExactName }

// Score implements Scorer: the extracted answer is correct when it equals the
// ground truth after normalization, or when both are numbers within
// tolerance.
func (e *Exact) Score(_ context.Context, task *tasks.Task, response string) (Result, error) {
	ans := Extract(response)
	res := Result{Extracted: ans.Text, Scorer: ExactName, Components: map[string]float64{
		"answer_found": b2f(ans.Text != ""), "answer_tagged": b2f(ans.Method != MethodWhole),
	}}
	ref := task.GroundTruth
	verdict := func(ok bool, why string) (Result, error) {
		res.Components["correctness"] = b2f(ok)
		if ok {
			res.Score, res.Label = 1, Correct
		} else {
			res.Score, res.Label = 0, Incorrect
		}
		res.Explanation = why
		return res, nil
	}
	if ans.Text == "" {
		return verdict(false, "no answer found in the response")
	}
	nAns, nRef := Normalize(ans.Text), Normalize(ref)
	if nAns == nRef {
		return verdict(true, fmt.Sprintf("answer %q matches the reference after normalization (%s)", ans.Text, ans.Method))
	}
	if refNum, refDecimals, ok := parseNumber(ref); ok {
		if got, _, ok := parseNumber(ans.Text); ok {
			if e.numbersMatch(got, refNum, refDecimals) {
				return verdict(true, fmt.Sprintf("number %v matches the reference %v within tolerance", got, refNum))
			}
			return verdict(false, fmt.Sprintf("number %v differs from the reference %v", got, refNum))
		}
	}
	return verdict(false, fmt.Sprintf("answer %q does not match the reference %q", ans.Text, ref))
}

func (e *Exact) numbersMatch(got, ref float64, refDecimals int) bool {
	diff := math.Abs(got - ref)
	if diff <= e.opts.AbsTol || diff <= e.opts.RelTol*math.Abs(ref) {
		return true
	}
	if e.opts.ReferencePrecision && refDecimals >= 0 {
		scale := math.Pow(10, float64(refDecimals))
		return math.Round(got*scale) == math.Round(ref*scale)
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Extraction methods, in the order they are tried.
const (
	MethodAnswerTag   = "answer_tag"
	MethodBoxed       = "boxed"
	MethodFinalAnswer = "final_answer_line"
	MethodWhole       = "whole_response"
)

// Answer is an answer extracted from a response.
type Answer struct {
	Text   string
	Method string
}

var (
	answerTag   = regexp.MustCompile(`(?is)<answer>(.*?)</answer>`)
	finalAnswer = regexp.MustCompile(`(?im)^\W*final answer\W*?[:：][\s*_]*(.+?)[\s*_]*$`)
	thinkBlock  = regexp.MustCompile(`(?is)<think>.*?</think>`)
)

// Extract takes the answer from a final response: the last <answer>…</answer>,
// else the last \boxed{…}, else the last "Final answer:" line, else the whole
// response (without <think> blocks).
func Extract(response string) Answer { return ExtractWith(response, nil) }

// DefaultExtraction is the order Extract tries.
var DefaultExtraction = []string{MethodAnswerTag, MethodBoxed, MethodFinalAnswer, MethodWhole}

// ParseExtraction reads a comma-separated list of extraction methods.
func ParseExtraction(s string) ([]string, error) {
	var out []string
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		switch m {
		case MethodAnswerTag, MethodBoxed, MethodFinalAnswer, MethodWhole:
			out = append(out, m)
		case "":
		default:
			return nil, fmt.Errorf("unknown answer extraction %q (want %s)", m, strings.Join(DefaultExtraction, ", "))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no answer extraction method in %q", s)
	}
	return out, nil
}

// ExtractWith tries the given methods in order (nil: DefaultExtraction);
// without whole_response among them, a response with none of the others
// has no answer.
func ExtractWith(response string, methods []string) Answer {
	if methods == nil {
		methods = DefaultExtraction
	}
	response = thinkBlock.ReplaceAllString(response, "")
	for _, method := range methods {
		switch method {
		case MethodAnswerTag:
			if m := answerTag.FindAllStringSubmatch(response, -1); len(m) > 0 {
				return Answer{strings.TrimSpace(m[len(m)-1][1]), MethodAnswerTag}
			}
		case MethodBoxed:
			if b, ok := lastBoxed(response); ok {
				return Answer{strings.TrimSpace(b), MethodBoxed}
			}
		case MethodFinalAnswer:
			if m := finalAnswer.FindAllStringSubmatch(response, -1); len(m) > 0 {
				return Answer{strings.TrimSpace(m[len(m)-1][1]), MethodFinalAnswer}
			}
		case MethodWhole:
			return Answer{strings.TrimSpace(response), MethodWhole}
		}
	}
	return Answer{Method: "none"}
}

// lastBoxed returns the content of the last \boxed{...}, braces balanced.
func lastBoxed(s string) (string, bool) {
	if bs := allBoxed(s); len(bs) > 0 {
		return bs[len(bs)-1], true
	}
	return "", false
}

var articles = map[string]bool{"a": true, "an": true, "the": true}

// Normalize folds an answer for comparison: Unicode NFKC, lower case,
// punctuation to spaces (except inside numbers; currency signs are kept),
// articles dropped, whitespace collapsed.
func Normalize(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		keep := unicode.IsLetter(r) || unicode.IsDigit(r)
		if strings.ContainsRune("$€£¥", r) {
			// Currency signs stay, as words of their own: $30 is not €30.
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		// Keep a decimal point or minus sign that belongs to a number.
		if !keep && (r == '.' || r == ',') && i > 0 && i+1 < len(runes) && unicode.IsDigit(runes[i-1]) && unicode.IsDigit(runes[i+1]) {
			keep = true
		}
		if !keep && r == '-' && i+1 < len(runes) && unicode.IsDigit(runes[i+1]) && (i == 0 || unicode.IsSpace(runes[i-1])) {
			keep = true
		}
		if keep {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		if !articles[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

var numberPattern = regexp.MustCompile(`^[-+−]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][-+]?\d+)?$`)

// parseNumber reads s as one number, allowing thousands separators, a
// leading sign, a trailing percent sign (kept as is: "57%" is 57) and
// surrounding spaces or a final period. decimals is the number of digits
// after the decimal point, or -1 with an exponent.
func parseNumber(s string) (value float64, decimals int, ok bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s == "" || !numberPattern.MatchString(s) || strings.Trim(s, "+-−.") == "" {
		return 0, 0, false
	}
	clean := strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "−", "-")
	v, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		return 0, 0, false
	}
	decimals = 0
	if strings.ContainsAny(clean, "eE") {
		decimals = -1
	} else if dot := strings.IndexByte(clean, '.'); dot >= 0 {
		decimals = len(clean) - dot - 1
	}
	return v, decimals, true
}
