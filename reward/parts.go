package reward

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// part is one element of a multi-part answer, with its label if it has one.
type part struct{ label, value string }

var (
	labelRe     = regexp.MustCompile(`^\s*([A-Za-z][\w .'-]{0,40}?)\s*[:=]\s*(.+?)\s*$`)
	partSepRe   = regexp.MustCompile(`\s*(?:;|\n|\|)\s*`)
	commaSepRe  = regexp.MustCompile(`\s*,\s*(?:and\s+)?|\s+and\s+`)
	thousandsRe = regexp.MustCompile(`^\s*[-+]?[$€£¥]?\d{1,3}(,\d{3})+(\.\d+)?\s*`)
)

// splitParts splits a reference or answer into parts: on semicolons,
// new lines and bars; else on commas (and a final "and") when every piece
// is short and the whole is not a number, a date or a name written last
// name first.
func splitParts(s string) []part {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "."))
	var pieces []string
	if strings.ContainsAny(s, ";\n|") && partSepRe.MatchString(s) {
		pieces = partSepRe.Split(s, -1)
	} else if (strings.Contains(s, ",") || strings.Contains(s, " and ")) && !thousandsRe.MatchString(s) && len(ParseDates(s)) == 0 {
		if _, isNum := singleQuantity(s); !isNum && !lastNameFirst(s) {
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
		if m := labelRe.FindStringSubmatch(p); m != nil && len(ParseDates(p)) == 0 && !strings.Contains(m[1], "http") && !strings.EqualFold(m[1], "doi") && !strings.EqualFold(m[1], "arxiv") {
			out = append(out, part{label: strings.ToLower(strings.TrimSpace(m[1])), value: m[2]})
			continue
		}
		out = append(out, part{value: p})
	}
	if len(out) < 2 {
		if m := labelRe.FindStringSubmatch(s); m != nil && len(ParseDates(s)) == 0 && !strings.Contains(m[1], "http") && !strings.EqualFold(m[1], "doi") && !strings.EqualFold(m[1], "arxiv") && !strings.EqualFold(m[1], "pmid") && !strings.EqualFold(m[1], "issn") && !strings.EqualFold(m[1], "isbn") {
			return []part{{label: strings.ToLower(strings.TrimSpace(m[1])), value: m[2]}}
		}
		return []part{{value: s}}
	}
	return out
}

func partValues(ps []part) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.value
	}
	return out
}

// lastNameFirst reports "Jumper, J." or "Jumper, John": one name, not a list.
func lastNameFirst(s string) bool {
	a, b, ok := strings.Cut(s, ",")
	if !ok || strings.Contains(b, ",") {
		return false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return !personRe.MatchString(a) && len(strings.Fields(a)) == 1 && len(strings.Fields(b)) <= 2 && b != "" && b[0] >= 'A' && b[0] <= 'Z' &&
		a != "" && a[0] >= 'A' && a[0] <= 'Z' && (len(b) <= 3 || strings.HasSuffix(b, "."))
}

// mentionSpan is where a part's label is named in an answer.
type mentionSpan struct {
	part       int
	start, end int
}

// partFound is where a reference part was found in the answer.
type partFound struct {
	ok      bool
	pos     int
	why     string
	located bool // found by its value, not under its label
}

// labelMentions finds where a label is named in text: its words, or its
// initials ("molecular weight": MW), or words it abbreviates ("sd":
// standard deviation; "min": minimum), or a known synonym (pI, isoelectric
// point).
func labelMentions(text, label string) [][2]int {
	var forms []string
	forms = append(forms, label)
	w := strings.Fields(label)
	if len(w) >= 2 {
		var ini strings.Builder
		for _, x := range w {
			ini.WriteByte(x[0])
		}
		forms = append(forms, ini.String())
	}
	forms = append(forms, labelSynonyms[label]...)
	out := initialsMentions(text, label)
	lower := strings.ToLower(text)
	for _, f := range forms {
		f = strings.ToLower(f)
		for pos, n := 0, 0; pos < len(lower) && n < 8; {
			i := strings.Index(lower[pos:], f)
			if i < 0 {
				break
			}
			at, end := pos+i, pos+i+len(f)
			if end < len(lower) && lower[end] == 's' {
				end++
			}
			if (at == 0 || !isWordByte(lower[at-1])) && (end == len(lower) || !isWordByte(lower[end])) {
				out = append(out, [2]int{at, end})
				n++
			}
			pos = at + 1
		}
	}
	return out
}

// initialsMentions finds the words of text that a short label abbreviates:
// words whose initials spell it ("sd": standard deviation), or one word it
// begins ("min": minimum, "avg": average is not one).
func initialsMentions(text, label string) [][2]int {
	if len(label) < 2 || len(label) > 4 || strings.ContainsAny(label, " 0123456789") {
		return nil
	}
	lower := lowerASCII(text)
	type word struct{ start, end int }
	var ws []word
	eachWord(lower, func(i, j int) bool {
		ws = append(ws, word{i, j})
		return true
	})
	var out [][2]int
	for i := range ws {
		w := lower[ws[i].start:ws[i].end]
		if len(label) >= 3 && len(w) > len(label) && strings.HasPrefix(w, label) {
			out = append(out, [2]int{ws[i].start, ws[i].end})
			continue
		}
		if i+len(label) > len(ws) {
			continue
		}
		ok := true
		for k := 0; k < len(label); k++ {
			if lower[ws[i+k].start] != label[k] || ws[i+k].end-ws[i+k].start < 3 {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, [2]int{ws[i].start, ws[i+len(label)-1].end})
		}
	}
	return out
}

var labelSynonyms = map[string][]string{
	"min": {"lowest", "minimum"}, "max": {"highest", "maximum"}, "minimum": {"min", "lowest"}, "maximum": {"max", "highest"},
	"pi": {"isoelectric point"}, "isoelectric point": {"pi"}, "mw": {"molecular weight", "molecular mass"},
	"molecular weight": {"mass", "weighs", "weight"}, "length": {"long", "nt", "bp", "residues"},
	"gc content": {"gc"}, "gc": {"gc content"}, "net income": {"net profit", "profit", "earnings"},
	"highest": {"maximum", "max", "high"}, "lowest": {"minimum", "min", "low"},
}

func (m *Match) judgeParts(ctx context.Context, text string, ref *refInfo, pol policy) verdict {
	parts := ref.parts
	found := make([]partFound, len(parts))
	used := make([]span, 0, len(parts))
	// Labelled parts: the value after the label's mention, up to the next
	// label.
	if ref.labelled {
		var ms []mentionSpan
		for i, p := range parts {
			for _, loc := range labelMentions(text, p.label) {
				ms = append(ms, mentionSpan{i, loc[0], loc[1]})
			}
		}
		sortByStart(ms, func(m mentionSpan) int { return m.start })
		for k, mt := range ms {
			if found[mt.part].ok {
				continue
			}
			if mt.start < prevEnd(ms, k) {
				continue // inside another label's mention ("min" in "minimum value")
			}
			end := len(text)
			for _, o := range ms[k+1:] {
				if o.part != mt.part && o.start >= mt.end {
					end = o.start
					break
				}
			}
			seg := text[mt.end:end]
			if lead, ok := valueBeforeParen(text, mt.start); ok {
				seg = lead // "34.2 °C (highest)": the label names the value before it
			}
			v := m.judgeSegment(ctx, seg, parts[mt.part].info, pol)
			if v.label == Correct {
				found[mt.part] = partFound{ok: true, pos: mt.start, why: v.why}
				used = append(used, span{mt.end, end})
			} else if strings.Contains(v.why, "no ") && v.label == Incorrect {
				continue // nothing of the kind after this mention
			} else if found[mt.part].why == "" {
				found[mt.part] = partFound{pos: -2, why: v.why} // a wrong value under the label
			}
		}
	}
	// The rest: any matching value in the answer, outside the labelled
	// values already taken.
	masked := []byte(text)
	for _, u := range used {
		for i := u.start; i < u.end && i < len(masked); i++ {
			if masked[i] != '\n' {
				masked[i] = ' '
			}
		}
	}
	rest := string(masked)
	for i, p := range parts {
		if found[i].ok || found[i].pos == -2 {
			continue
		}
		if pos, why, ok := m.locate(ctx, rest, p.info, pol); ok {
			found[i] = partFound{ok: true, pos: pos, why: why, located: true}
		}
	}
	matched := 0
	var missing []string
	for i, f := range found {
		if f.ok {
			matched++
		} else {
			missing = append(missing, parts[i].info.raw)
		}
	}
	// Extra items of a list answer that match no part.
	extras := 0
	items := splitParts(stripMarkdown(text))
	if len(items) < 2 || !shortItems(partValues(items), 4) {
		items = nil
	}
	if !ref.labelled && (len(items) > len(parts) || (len(items) >= 2 && matched < len(parts))) {
		if len(items) > maxParts {
			extras += len(items) - maxParts // past maxParts, items are counted, not matched
			items = items[:maxParts]
		}
		for _, it := range partValues(items) {
			hit := false
			for _, p := range parts {
				if _, _, ok := m.locate(ctx, it, p.info, pol); ok {
					hit = true
					break
				}
			}
			if !hit && len(strings.Fields(it)) <= 3 {
				extras++
			}
		}
	}
	ordered := ref.ranked || pick(pol.ordered, m.opts.Ordered)
	if ordered {
		last := -1
		for _, f := range found {
			if !f.ok || (ref.labelled && !f.located) {
				continue
			}
			if f.pos < last {
				return decided(Incorrect, "the parts are not in the order the question asks (%d of %d found)", matched, len(parts))
			}
			last = f.pos
		}
	}
	why := fmt.Sprintf("%d of %d reference parts matched", matched, len(parts))
	if extras > 0 {
		why += fmt.Sprintf(", %d extra item(s)", extras)
	}
	if len(missing) > 5 {
		missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
	}
	if len(missing) > 0 {
		why += "; missing or wrong: " + strings.Join(missing, "; ")
	}
	precision := float64(matched) / float64(max(1, matched+extras))
	recall := float64(matched) / float64(len(parts))
	f1 := 0.0
	if matched > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	v := verdict{fraction: math.Round(f1*1e6) / 1e6, why: why}
	switch {
	case matched == len(parts) && extras == 0:
		v.label = Correct
	case matched == 0, extras >= 2*len(parts):
		// Nothing right, or a flood of guesses around the right ones.
		v.label = Incorrect
	default:
		v.label = Partial
	}
	return v
}

// valueBeforeParen returns the value written just before a label in
// parentheses ("34.2 °C (highest)"): the text from the clause's start to
// the parenthesis, when the label opens it.
func valueBeforeParen(text string, labelStart int) (string, bool) {
	open := strings.LastIndexByte(text[:labelStart], '(')
	if open < 0 || strings.TrimSpace(text[open+1:labelStart]) != "" {
		return "", false
	}
	before := strings.TrimRight(text[:open], " ")
	if before == "" || !strings.ContainsAny(before[max(0, len(before)-12):], "0123456789") {
		return "", false
	}
	start := max(strings.LastIndexAny(before, ";\n("), strings.LastIndex(before, " and "), strings.LastIndex(before, ", "))
	return before[start+1:], true
}

// prevEnd is where the mentions before the k-th end.
func prevEnd(ms []mentionSpan, k int) int {
	e := 0
	for _, o := range ms[:k] {
		e = max(e, o.end)
	}
	return e
}

// judgeSegment judges the value that follows a label: for a number, the
// first one after it ("mean is 12.4 and the standard deviation is 3.1");
// for other kinds, the segment.
func (m *Match) judgeSegment(ctx context.Context, seg string, ref *refInfo, pol policy) verdict {
	if ref.kind != kindNumber {
		return m.judgeText(ctx, seg, ref, pol)
	}
	nums, _ := numberCands(seg, ref)
	if len(nums) == 0 {
		return decided(Incorrect, "no number after the label")
	}
	return m.numVerdict(nums[0], ref, pol)
}

// locate finds a value of the part's kind in text that matches it, and
// where.
func (m *Match) locate(ctx context.Context, text string, ref *refInfo, pol policy) (int, string, bool) {
	switch ref.kind {
	case kindNumber:
		nums, _ := numberCands(text, ref)
		for _, n := range nums {
			if v := m.numVerdict(n, ref, pol); v.label == Correct {
				return n.start, v.why, true
			}
		}
		return 0, "", false
	case kindDate:
		for _, d := range dateMentions(text) {
			if v := dateVerdict(d.dates, ref); v.label == Correct {
				return d.start, v.why, true
			}
		}
		return 0, "", false
	case kindIdentifier:
		for _, c := range identifierCands(text, ref) {
			if c.key == ref.idCanon {
				return c.start, "identifier", true
			}
		}
		return 0, "", false
	}
	// Text: where its words are.
	norm := Normalize(text)
	words := strings.Fields(norm)
	if i := ref.textMention(words); i >= 0 {
		// Map the word index back to a byte position in the text, roughly.
		return wordOffset(text, words[i]), "named", true
	}
	return 0, "", false
}

// wordOffset finds the byte offset of the first whole-word w in text.
func wordOffset(text, w string) int {
	lower := strings.ToLower(text)
	for pos := 0; pos < len(lower); {
		i := strings.Index(lower[pos:], w)
		if i < 0 {
			break
		}
		at := pos + i
		if (at == 0 || !isWordByte(lower[at-1])) && (at+len(w) >= len(lower) || !isWordByte(lower[at+len(w)])) {
			return at
		}
		pos = at + 1
	}
	return len(text)
}

func isWordByte(b byte) bool { return isLetter(b) || b >= '0' && b <= '9' || b >= 0x80 }
