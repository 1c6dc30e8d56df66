package builtin

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

var (
	wordPattern     = regexp.MustCompile(`[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*`)
	sentencePattern = regexp.MustCompile(`[^.!?]+[.!?]+|[^.!?]+$`)
	vowelGroups     = regexp.MustCompile(`[aeiouy]+`)
)

// syllables estimates English syllables: vowel groups, less a silent final
// e, at least one per word (the heuristic most readability tools use).
func syllables(word string) int {
	w := strings.ToLower(word)
	n := len(vowelGroups.FindAllString(w, -1))
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	return max(n, 1)
}

func textStats(text string) map[string]any {
	words := wordPattern.FindAllString(text, -1)
	sentences := 0
	for _, s := range sentencePattern.FindAllString(text, -1) {
		if strings.TrimSpace(s) != "" && wordPattern.MatchString(s) {
			sentences++
		}
	}
	sentences = max(sentences, 1)
	syl, complexWords, letters := 0, 0, 0
	freq := map[string]int{}
	for _, w := range words {
		s := syllables(w)
		syl += s
		if s >= 3 {
			complexWords++
		}
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		freq[strings.ToLower(w)]++
	}
	out := map[string]any{"characters": len([]rune(text)), "letters": letters, "words": len(words), "sentences": sentences,
		"syllables": syl, "unique_words": len(freq)}
	if len(words) == 0 {
		return out
	}
	wps := float64(len(words)) / float64(sentences)
	spw := float64(syl) / float64(len(words))
	out["average_words_per_sentence"] = wps
	out["average_syllables_per_word"] = spw
	out["flesch_reading_ease"] = 206.835 - 1.015*wps - 84.6*spw
	out["flesch_kincaid_grade"] = 0.39*wps + 11.8*spw - 15.59
	out["gunning_fog"] = 0.4 * (wps + 100*float64(complexWords)/float64(len(words)))
	type wc struct {
		Word  string `json:"word"`
		Count int    `json:"count"`
	}
	var top []wc
	for w, c := range freq {
		top = append(top, wc{w, c})
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].Count != top[j].Count {
			return top[i].Count > top[j].Count
		}
		return top[i].Word < top[j].Word
	})
	out["top_words"] = top[:min(10, len(top))]
	return out
}

// hIndex is the largest h such that h items have at least h citations each;
// g-index the largest g whose top g items have at least g² citations together.
func hIndex(citations []int) (int, int, int) {
	c := append([]int(nil), citations...)
	sort.Sort(sort.Reverse(sort.IntSlice(c)))
	h, g, i10, sum := 0, 0, 0, 0
	for i, n := range c {
		if n >= i+1 {
			h = i + 1
		}
		sum += n
		if sum >= (i+1)*(i+1) {
			g = i + 1
		}
		if n >= 10 {
			i10++
		}
	}
	return h, g, i10
}

type author struct {
	Given  string `json:"given"`
	Family string `json:"family"`
}

func initials(given string) string {
	var parts []string
	for _, p := range strings.FieldsFunc(given, func(r rune) bool { return r == ' ' || r == '-' }) {
		r := []rune(p)
		parts = append(parts, string(unicode.ToUpper(r[0]))+".")
	}
	return strings.Join(parts, " ")
}

type work struct {
	Authors []author `json:"authors"`
	Title   string   `json:"title"`
	Journal string   `json:"journal"`
	Year    int      `json:"year"`
	Volume  string   `json:"volume"`
	Issue   string   `json:"issue"`
	Pages   string   `json:"pages"`
	DOI     string   `json:"doi"`
}

// apa formats a journal article in APA 7th style.
func (w work) apa() string {
	var names []string
	for _, a := range w.Authors {
		names = append(names, strings.TrimSpace(a.Family+", "+initials(a.Given)))
	}
	var who string
	switch n := len(names); {
	case n == 0:
	case n == 1:
		who = names[0]
	case n <= 20:
		who = strings.Join(names[:n-1], ", ") + ", & " + names[n-1]
	default:
		who = strings.Join(names[:19], ", ") + ", . . . " + names[n-1]
	}
	s := fmt.Sprintf("%s (%d). %s. %s", who, w.Year, strings.TrimSuffix(w.Title, "."), w.Journal)
	if w.Volume != "" {
		s += ", " + w.Volume
		if w.Issue != "" {
			s += "(" + w.Issue + ")"
		}
	}
	if w.Pages != "" {
		s += ", " + w.Pages
	}
	s += "."
	if w.DOI != "" {
		s += " https://doi.org/" + strings.TrimPrefix(w.DOI, "https://doi.org/")
	}
	return s
}

// bibtex renders the article as a BibTeX @article entry.
func (w work) bibtex() string {
	key := "article"
	if len(w.Authors) > 0 {
		key = strings.ToLower(strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) {
				return r
			}
			return -1
		}, w.Authors[0].Family)) + fmt.Sprint(w.Year)
	}
	var names []string
	for _, a := range w.Authors {
		names = append(names, a.Family+", "+a.Given)
	}
	fields := [][2]string{{"author", strings.Join(names, " and ")}, {"title", w.Title}, {"journal", w.Journal},
		{"year", fmt.Sprint(w.Year)}, {"volume", w.Volume}, {"number", w.Issue}, {"pages", strings.ReplaceAll(w.Pages, "-", "--")}, {"doi", w.DOI}}
	var b strings.Builder
	fmt.Fprintf(&b, "@article{%s,\n", key)
	for _, f := range fields {
		if f[1] != "" && f[1] != "0" {
			fmt.Fprintf(&b, "  %s = {%s},\n", f[0], f[1])
		}
	}
	b.WriteString("}")
	return b.String()
}

// textDefinitions are text-analysis and bibliometric tools.
func textDefinitions() []definition {
	return []definition{
		{
			id: "academic.text_analysis.text_statistics",
			description: "Statistics of an English text: characters, words, sentences, syllables (heuristic), unique words, the ten most frequent words, " +
				"Flesch reading ease, Flesch–Kincaid grade and Gunning fog index.",
			params: `{"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
				"text": {"type": "string", "minLength": 1, "maxLength": 1000000, "description": "The text."}}}`,
			run: typed(func(a struct {
				Text string `json:"text"`
			}) (any, error) {
				return textStats(a.Text), nil
			}),
		},
		{
			id:          "academic.bibliometrics.bibliometrics_h_index",
			description: "h-index, g-index and i10-index of a list of citation counts (one per publication).",
			params: `{"type": "object", "required": ["citations"], "additionalProperties": false, "properties": {
				"citations": {"type": "array", "minItems": 1, "maxItems": 100000, "items": {"type": "integer", "minimum": 0}, "description": "Citation count of each publication."}}}`,
			run: typed(func(a struct {
				Citations []int `json:"citations"`
			}) (any, error) {
				h, g, i10 := hIndex(a.Citations)
				total := 0
				for _, c := range a.Citations {
					total += c
				}
				return map[string]any{"h_index": h, "g_index": g, "i10_index": i10, "total_citations": total,
					"mean_citations": math.Round(float64(total)/float64(len(a.Citations))*1000) / 1000}, nil
			}),
		},
		{
			id:          "academic.bibliometrics.bibliometrics_format_citation",
			description: "Format a journal article's metadata as an APA 7th-edition reference and a BibTeX entry.",
			params: `{"type": "object", "required": ["authors", "title", "journal", "year"], "additionalProperties": false, "properties": {
				"authors": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["family"], "additionalProperties": false,
					"properties": {"given": {"type": "string"}, "family": {"type": "string", "minLength": 1}}}},
				"title": {"type": "string", "minLength": 1}, "journal": {"type": "string", "minLength": 1},
				"year": {"type": "integer", "minimum": 1000, "maximum": 3000},
				"volume": {"type": "string"}, "issue": {"type": "string"}, "pages": {"type": "string"}, "doi": {"type": "string"}}}`,
			run: typed(func(w work) (any, error) {
				return map[string]any{"apa": w.apa(), "bibtex": w.bibtex()}, nil
			}),
		},
	}
}
