package reward

import (
	"context"
	"fmt"
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
	// PercentAsFraction accepts 0.57 for 57% and 57% for 0.57; 57 for 57%
	// is always accepted.
	PercentAsFraction bool
	// Ordered requires the parts of a multi-part answer in the reference's
	// order even when the question does not ask for an order.
	Ordered bool
	// Extraction lists the ways the answer is taken from the response, in
	// order (nil: DefaultExtraction).
	Extraction []string
	// Rewards maps a verdict's label to its score (default 1, 0, 0).
	Rewards LabelRewards
}

// DefaultMatchOptions are the options of the registered "match" scorer.
func DefaultMatchOptions() MatchOptions {
	return MatchOptions{PercentAsFraction: true, Rewards: DefaultLabelRewards()}
}

// Match decides whether a response gives its task's ground truth: correct,
// partial or incorrect when the rules are sure, undecided when they are
// not (an LLM judge then decides, when one is configured). It reads the
// value the response commits to (answer tags, \boxed{}, an answer line,
// bold, the value after "is"/"="/"≈"/"→" in its last statement), and
// compares it by the reference's kind: numbers with units, signs in words,
// percentages, ratios and precision; dates; identifiers; sequences; yes/no;
// names and free text; multi-part answers and lists.
type Match struct {
	opts  MatchOptions
	cache refCache
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

func (c *refCache) get(reference, question string) *refInfo {
	k := refKey{reference, question}
	if v, ok := c.m.Load(k); ok {
		return v.(*refInfo)
	}
	info := analyze(reference, question)
	if c.n.Load() < maxCached {
		c.n.Add(1)
		c.m.Store(k, info)
	}
	return info
}

// NewMatch returns the answer-matching scorer.
func NewMatch(opts MatchOptions) *Match {
	if opts.Rewards == (LabelRewards{}) {
		opts.Rewards = DefaultLabelRewards()
	}
	return &Match{opts: opts}
}

// Name implements Scorer.
func (m *Match) Name() string { return MatchName }

// verdict is what the rules decided.
type verdict struct {
	label    Label
	fraction float64 // the share of the answer that is right, for partial credit
	why      string
}

func decided(l Label, format string, args ...any) verdict {
	f := 0.0
	switch l {
	case Correct:
		f = 1
	case Partial:
		f = 0.5
	}
	return verdict{label: l, fraction: f, why: fmt.Sprintf(format, args...)}
}

// Score implements Scorer.
func (m *Match) Score(ctx context.Context, task *tasks.Task, response string) (Result, error) {
	v, ans := m.judge(ctx, task.Question, task.GroundTruth, response, m.policy(task))
	return m.result(v, ans), nil
}

func (m *Match) result(v verdict, ans Answer) Result {
	res := Result{Extracted: ans.Text, Scorer: MatchName, Label: v.label, Explanation: v.why, DecidedBy: DecidedByRule,
		Components: map[string]float64{"answer_found": b2f(ans.Text != ""), "answer_tagged": b2f(ans.Method != MethodWhole && ans.Text != "")}}
	res.Score = m.opts.Rewards.For(v.label)
	res.Components["correctness"] = res.Score
	res.Components["fraction"] = v.fraction
	res.Components["conclusive"] = b2f(v.label != Undecided)
	return res
}

// policy is a task's own scoring policy (metadata "percent_as_fraction"
// and "ordered_parts", booleans).
type policy struct {
	percentAsFraction, ordered *bool
}

func (m *Match) policy(task *tasks.Task) policy {
	var p policy
	if task.Metadata != nil {
		if v, ok := task.Metadata["percent_as_fraction"].(bool); ok {
			p.percentAsFraction = &v
		}
		if v, ok := task.Metadata["ordered_parts"].(bool); ok {
			p.ordered = &v
		}
	}
	return p
}

func pick(p *bool, def bool) bool {
	if p != nil {
		return *p
	}
	return def
}

// Compare scores an answer against a reference: 1 for correct, 0.5 for
// partial, 0 for incorrect or undecided, and why.
func (m *Match) Compare(answer, reference, question string) (float64, string) {
	v, _ := m.judge(context.Background(), question, reference, answer, policy{})
	return v.fraction, v.why
}

// CompareContext is Compare, and whether the rules decided (false: the
// verdict is undecided, and an LLM judge should decide).
func (m *Match) CompareContext(ctx context.Context, answer, reference, question string) (float64, string, bool) {
	v, _ := m.judge(ctx, question, reference, answer, policy{})
	return v.fraction, v.why, v.label != Undecided
}

// Decide is the rules' verdict on a response: its label and why.
func (m *Match) Decide(question, reference, response string) (Label, string) {
	v, _ := m.judge(context.Background(), question, reference, response, policy{})
	return v.label, v.why
}

var refusalRe = regexp.MustCompile(`(?i)\b(?:i\s+(?:do\s+not|don'?t|cannot|can'?t|am\s+unable\s+to|was\s+unable\s+to|could\s+not|couldn'?t)\s+(?:know|determine|answer|find|compute|calculate|tell|say|provide|help)|unable\s+to\s+(?:determine|compute|answer|find)|cannot\s+be\s+determined|can'?t\s+be\s+determined|not\s+(?:enough|sufficient)\s+information|i'?m\s+sorry|unknown|n/?a|no\s+answer|not\s+available)\b`)

// judge decides a response against a reference.
func (m *Match) judge(ctx context.Context, question, reference, response string, pol policy) (verdict, Answer) {
	answers, method := explicitAnswers(response, m.opts.Extraction)
	if len(answers) == 0 {
		return decided(Incorrect, "no answer found in the response"), Answer{Method: method}
	}
	ans := Answer{Text: answers[len(answers)-1], Method: method}
	if strings.TrimSpace(ans.Text) == "" {
		return decided(Incorrect, "the answer is empty"), ans
	}
	if len(ans.Text) > maxJudged {
		ans.Text = ans.Text[len(ans.Text)-maxJudged:] // the conclusion is at the end
	}
	ref := m.cache.get(reference, question)
	if ref.norm == "" {
		return decided(Undecided, "the reference is empty"), ans
	}
	v := m.judgeText(ctx, ans.Text, ref, pol)
	// Two explicit answers that disagree are a hedge.
	if len(answers) > 1 && v.label != Incorrect {
		for _, other := range answers[:len(answers)-1] {
			if strings.TrimSpace(other) == "" || Normalize(other) == Normalize(ans.Text) {
				continue
			}
			if w := m.judgeText(ctx, other, ref, pol); w.label != v.label {
				return decided(Incorrect, "the response commits to two different answers (%q and %q): a hedge", truncate(other, 60), truncate(ans.Text, 60)), ans
			}
		}
	}
	if v.label != Correct && v.label != Partial && len(ans.Text) < 400 && len(strings.Fields(ans.Text)) < 40 && refusalRe.MatchString(ans.Text) {
		return decided(Incorrect, "the response declines to answer (%q)", truncate(ans.Text, 80)), ans
	}
	return v, ans
}

// maxJudged bounds the text the rules read: the last 16 KB of a response.
const maxJudged = 16 << 10

func (m *Match) judgeText(ctx context.Context, text string, ref *refInfo, pol policy) verdict {
	if why, conflict := symbolCaseConflict(strings.TrimSpace(text), ref.raw); conflict {
		return decided(Incorrect, "%s", why)
	}
	if t := strings.Trim(strings.TrimSpace(text), ".*_`\"'"); ref.geneSymbol && strings.EqualFold(t, ref.raw) && t != ref.raw && t != strings.ToLower(t) {
		return decided(Incorrect, "%q and the reference %q differ in case, which for gene symbols names another species (CFTR human, Cftr mouse)", t, ref.raw)
	}
	if len(text) <= 4*len(ref.raw)+64 && Normalize(text) == ref.norm {
		return decided(Correct, "%q matches the reference after normalization", truncate(text, 80))
	}
	switch ref.kind {
	case kindYesNo:
		return judgeYesNo(text, ref)
	case kindParts:
		return m.judgeParts(ctx, text, ref, pol)
	case kindDate:
		return judgeDate(text, ref)
	case kindIdentifier:
		return judgeIdentifier(text, ref)
	case kindSequence:
		return judgeSequence(text, ref)
	case kindNumber:
		return m.judgeNumber(text, ref, pol)
	}
	return judgeFreeText(text, ref)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// explicitAnswers takes the answers a response states explicitly: every
// non-empty <answer>…</answer>, else every \boxed{…}, else every "Final
// answer:" line; else the whole response (without <think> blocks), as the
// extraction options allow.
func explicitAnswers(response string, methods []string) ([]string, string) {
	if methods == nil {
		methods = DefaultExtraction
	}
	response = stripThink(response)
	for _, method := range methods {
		switch method {
		case MethodAnswerTag:
			if as := answerTags(response); len(as) > 0 {
				return nonEmptyLast(as), MethodAnswerTag
			}
		case MethodBoxed:
			if bs := allBoxed(response); len(bs) > 0 {
				return bs, MethodBoxed
			}
		case MethodFinalAnswer:
			if !containsFold(response, "final answer") {
				continue
			}
			if ms := finalAnswer.FindAllStringSubmatch(response, 64); len(ms) > 0 {
				lines := make([]string, len(ms))
				for i, m := range ms {
					lines[i] = m[1]
				}
				return nonEmptyLast(lines), MethodFinalAnswer
			}
		case MethodWhole:
			return []string{strings.TrimSpace(response)}, MethodWhole
		}
	}
	return nil, "none"
}

// containsFold reports whether s holds sub (lower-case ASCII) in any case.
func containsFold(s, sub string) bool { return strings.Contains(lowerASCII(s), sub) }

// answerTags returns the contents of every <answer>…</answer> (tags in
// any case), at most 64: what answerTag matches, without the regular
// expression engine.
func answerTags(s string) []string {
	lower := lowerASCII(s)
	var out []string
	for pos := 0; len(out) < 64; {
		i := strings.Index(lower[pos:], "<answer>")
		if i < 0 {
			break
		}
		start := pos + i + len("<answer>")
		j := strings.Index(lower[start:], "</answer>")
		if j < 0 {
			break
		}
		out = append(out, s[start:start+j])
		pos = start + j + len("</answer>")
	}
	return out
}

// nonEmptyLast keeps the non-empty answers, or the last one when all are
// empty (an empty answer).
func nonEmptyLast(ms []string) []string {
	var out []string
	for _, m := range ms {
		if t := strings.TrimSpace(m); t != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

// stripThink removes <think> blocks, and everything before a closing
// </think> whose opening tag the chat template already wrote.
func stripThink(s string) string {
	if !containsFold(s, "think>") {
		return s
	}
	s = thinkBlock.ReplaceAllString(s, "")
	if i := strings.LastIndex(s, "</think>"); i >= 0 {
		s = s[i+len("</think>"):]
	}
	return s
}

// allBoxed returns the contents of the \boxed{…} of s, braces balanced:
// the last 64 of them.
func allBoxed(s string) []string {
	var out []string
	for {
		i := strings.Index(s, `\boxed{`)
		if i < 0 {
			break
		}
		start := i + len(`\boxed{`)
		depth, end := 1, -1
		for j := start; j < len(s) && end < 0; j++ {
			switch s[j] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					end = j
				}
			}
		}
		if end < 0 {
			break
		}
		if out = append(out, strings.TrimSpace(s[start:end])); len(out) > 64 {
			out = out[1:]
		}
		s = s[end+1:]
	}
	return out
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
