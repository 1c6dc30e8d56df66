package reward

import (
	"regexp"
	"sort"
	"strings"
)

// A response commits to an answer in a few recognisable ways: inside
// answer tags or \boxed{}, on an "Answer:" line, in bold, or as the value
// that follows "is", "=", "≈" or "→" in its last statement. The numbers of
// the reasoning before it are not the answer. This file finds, among the
// values of the reference's kind that a response mentions (candidates),
// the one it commits to, and whether it hedges between several.

// cand is one value of the reference's kind found in a text.
type cand struct {
	start, end  int
	bold, paren bool
	// key identifies the value: two candidates with one key say the same.
	key string
}

// strength is how surely a candidate is the committed answer.
const (
	weak   = 1 // the last value of the last statement that has one
	cued   = 2 // a value right after "is", "=", "≈", "→", ":" …
	marked = 3 // on an answer line, in bold, or the only value
)

// commitment is the candidate a text commits to.
type commitment struct {
	idx      int   // index into the candidates, -1 when there are none
	strength int   // weak, cued or marked
	hedge    bool  // the statement offers another value as an alternative
	alt      int   // that other value's index, when hedge
	earlier  []int // values committed to by earlier statements (cued or marked)
}

var (
	eitherRe = regexp.MustCompile(`\beither\b|\bbetween\b|\bsomewhere\b|\bdepending\b`)
	// hedgeRe marks a statement that offers alternatives, in lower-cased
	// text; hedged reads the same words without it (TestHedgedAgrees).
	hedgeRe = regexp.MustCompile(`\bor\b|\beither\b|\bbetween\b|\bdepending\b|\bpossibly\b|\bperhaps\b|\bmaybe\b|\bmight\s+be\b|\bcould\s+be\b|\bsomewhere\b|\bnot\s+sure\b|\bunsure\b|\banywhere\s+from\b`)
)

// sentenceSpans splits text into statements: lines, and sentences within
// them (a period, semicolon, question or exclamation mark before a space;
// not a decimal point).
func sentenceSpans(text string) []span {
	var out []span
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := false
		switch c {
		case '\n':
			end = true
		case '.', ';', '?', '!':
			end = i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n' || text[i+1] == '*'
		}
		if end {
			if strings.TrimSpace(text[start:i+1]) != "" {
				out = append(out, span{start, i + 1})
			}
			start = i + 1
		}
	}
	if strings.TrimSpace(text[start:]) != "" {
		out = append(out, span{start, len(text)})
	}
	return out
}

func spanOf(spans []span, i int) int {
	k := sort.Search(len(spans), func(k int) bool { return spans[k].end > i })
	if k < len(spans) && i >= spans[k].start {
		return k
	}
	return len(spans) - 1
}

// isCued reports a candidate that follows a cue in its statement.
func isCued(text string, sentStart int, c cand) bool {
	return cuedBefore(text[sentStart:c.start])
}

// commit finds the candidate that text commits to.
func commit(text string, cands []cand) commitment {
	cm := commitment{idx: -1, alt: -1}
	if len(cands) == 0 {
		return cm
	}
	sents := sentenceSpans(text)
	sentOf := make([]int, len(cands))
	for i, c := range cands {
		sentOf[i] = spanOf(sents, c.start)
	}
	distinct := map[string]bool{}
	for _, c := range cands {
		distinct[c.key] = true
	}
	cuedMemo := make([]int8, len(cands))
	cuedAt := func(i int) bool {
		if cuedMemo[i] == 0 {
			cuedMemo[i] = 1
			if isCued(text, sents[sentOf[i]].start, cands[i]) {
				cuedMemo[i] = 2
			}
		}
		return cuedMemo[i] == 2
	}
	choose := func(i, strength int) { cm.idx, cm.strength = i, strength }
	switch {
	case len(distinct) == 1:
		choose(len(cands)-1, marked)
	default:
		if i := onAnswerLine(text, cands); i >= 0 {
			choose(i, marked)
		} else if i := lastBold(cands); i >= 0 {
			choose(i, marked)
		} else {
			last := sentOf[len(cands)-1]
			// Prefer values outside parentheses: those are asides.
			best, bestStrength := -1, 0
			for i := range cands {
				if sentOf[i] != last {
					continue
				}
				s := weak
				if cuedAt(i) {
					s = cued
				}
				if cands[i].paren {
					s = 0 // an aside
				}
				if s >= bestStrength {
					best, bestStrength = i, s
				}
			}
			if bestStrength < weak {
				bestStrength = weak
			}
			choose(best, bestStrength)
		}
	}
	// Values committed to by earlier statements.
	for i, c := range cands {
		if i == cm.idx || c.paren || sentOf[i] == sentOf[cm.idx] {
			continue
		}
		if c.bold || cuedAt(i) {
			cm.earlier = append(cm.earlier, i)
		}
	}
	// A hedge: the committed statement offers another value.
	if i := hedgeAmong(text, sents, cands[cm.idx], cands, cm.idx); i >= 0 {
		cm.hedge, cm.alt = true, i
	}
	return cm
}

// hedgeAmong returns the index of a value in others that the statement
// of c offers as an alternative to it, or -1: "X or Y", "between X and
// Y", "either X or Y", "X; Y" as a list of guesses. self is c's index in
// others (-1 when it is not one of them).
func hedgeAmong(text string, sents []span, c cand, others []cand, self int) int {
	cs := spanOf(sents, c.start)
	s := sents[cs]
	for i, o := range others {
		if i == self || o.key == c.key {
			continue
		}
		lo, hi := o.end, c.start
		if lo > hi {
			lo, hi = c.end, o.start
		}
		if hi < lo {
			continue // overlapping mentions
		}
		between := text[lo:hi]
		if listSeparated(between) {
			return i // "58.07; 58.06": a list of guesses
		}
		if spanOf(sents, o.start) != cs {
			continue
		}
		lead := text[s.start:min(c.start, o.start)]
		if hedged(between) || eitherIn(tail(lead, 24)) && endsWithHedgeLead(lead) {
			return i
		}
	}
	return -1
}

// hedged reports words that offer alternatives in s: or, either, between,
// maybe, possibly, depending, might be, not sure … (hedgeRe's words, read
// by a word scan).
func hedged(s string) bool {
	prev, found := "", false
	eachWord(s, func(i, j int) bool {
		w := lowerASCII(s[i:j])
		found = hedgeWords[w] || (w == "be" && (prev == "might" || prev == "could")) || (w == "sure" && prev == "not") || (w == "from" && prev == "anywhere")
		prev = w
		return !found
	})
	return found
}

var hedgeWords = wordSet("or", "either", "between", "depending", "possibly", "perhaps", "maybe", "somewhere", "unsure")

// eitherIn reports "either", "between", "somewhere" or "depending" in s.
func eitherIn(s string) bool { return eitherRe.MatchString(lowerASCII(s)) }

// endsWithHedgeLead reports a statement start that ends in "either",
// "between", "somewhere between", "depending on whether" and the like,
// right before the first of two values.
func endsWithHedgeLead(lead string) bool {
	ws := lastWords(lead, 3)
	for i := len(ws) - 1; i >= 0; i-- {
		switch ws[i] {
		case "either", "between", "somewhere", "depending":
			return true
		case "about", "approximately", "roughly", "around", "$", "the", "a", "is", "be", "was", "it's", "is:":
			continue
		}
		return false
	}
	return false
}

// listSeparated reports two values separated only by a list separator
// ("11, 12", "Saturn; Jupiter").
func listSeparated(between string) bool {
	b := strings.TrimSpace(strings.Trim(strings.TrimSpace(between), "*_"))
	return b == "," || b == ";" || b == "/" || b == "|" || b == "and" || b == ", and"
}

// onAnswerLine returns the first candidate on the last answer line that
// holds one, or -1.
func onAnswerLine(text string, cands []cand) int {
	lines := answerLines(text)
	for k := len(lines) - 1; k >= 0; k-- {
		for i, c := range cands {
			if c.start >= lines[k].start && c.start < lines[k].end {
				return i
			}
		}
	}
	return -1
}

// answerWordRe names a label that announces the answer.
var answerWordRe = regexp.MustCompile(`(?i)^(?:the\s+)?(?:final\s+)?(?:answer|result|conclusion|solution|summary|in\s+summary|therefore|thus|so)\b`)

// answerLines lists the value parts of lines that announce an answer:
// "Answer: …", "**Final answer:** …", a line in bold with a label
// ("**Monthly payment: $331.77**", "**Closing price:** $30.95").
func answerLines(text string) []span {
	var out []span
	pos := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		start := pos
		pos += len(line)
		l := strings.TrimLeft(line, " \t>#-")
		off := start + len(line) - len(l)
		bold := strings.HasPrefix(l, "**") || strings.HasPrefix(l, "__")
		body := strings.TrimLeft(l, "*_ ")
		off += len(l) - len(body)
		idx := strings.IndexAny(body, ":=：")
		if idx <= 0 || idx > 60 {
			continue
		}
		label := strings.TrimSpace(strings.Trim(body[:idx], "*_ "))
		if label == "" || strings.ContainsAny(label, "0123456789") && !answerWordRe.MatchString(label) {
			continue
		}
		closesBold := strings.HasSuffix(strings.TrimSpace(body[:idx]), "**") || strings.HasPrefix(strings.TrimSpace(body[idx+1:]), "**") ||
			strings.HasSuffix(strings.TrimSpace(line), "**")
		if answerWordRe.MatchString(label) || (bold && closesBold) {
			out = append(out, span{off + idx + 1, start + len(line)})
		}
	}
	return out
}

// lastBold returns the last candidate in bold, or -1.
func lastBold(cands []cand) int {
	for i := len(cands) - 1; i >= 0; i-- {
		if cands[i].bold {
			return i
		}
	}
	return -1
}
