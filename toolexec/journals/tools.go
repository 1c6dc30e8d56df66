package journals

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dive-env/dive/toolexec"
)

const maxResults = 25

func manifests() []toolexec.Manifest {
	m := func(id, desc, params string) toolexec.Manifest {
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: "academic", Source: "citation-style-language-styles-20230209", Version: "1.0.0",
			Description: desc, Module: "journals", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	return []toolexec.Manifest{
		m("academic.journals.journal_lookup", "Look up a journal in the Citation Style Language styles (about 10,000, Debian's citation-style-language-styles, February 2023) by ISSN "+
			"(print or electronic), by style id (e.g. nature) or by title (exact, else a part of it): print and electronic ISSN, fields, citation format "+
			"(numeric, author-date, note, ...), the publisher style it follows and the author-guidelines URL.",
			`{"type": "object", "required": ["query"], "additionalProperties": false, "properties": {
				"query": {"type": "string", "minLength": 2, "maxLength": 300, "description": "An ISSN (1061-4036), a style id (nature-genetics) or a title (Nature Genetics)."}}}`),
		m("academic.journals.journal_search", "List and count the journals of the Citation Style Language styles by field, citation format, title words and the "+
			"publisher style they follow (e.g. all numeric-citation medicine journals following elsevier-vancouver).",
			`{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"field": {"type": "string", "enum": ["anthropology", "astronomy", "biology", "botany", "chemistry", "communications", "engineering", "generic-base", "geography", "geology", "history", "humanities", "law", "linguistics", "literature", "math", "medicine", "philosophy", "physics", "political_science", "psychology", "science", "social_science", "sociology", "theology", "zoology"], "description": "A CSL field."},
				"citation_format": {"type": "string", "enum": ["author-date", "author", "numeric", "label", "note"], "description": "How the style cites."},
				"title_contains": {"type": "string", "minLength": 2, "maxLength": 200, "description": "Words of the title (case-insensitive substring)."},
				"parent_style": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The style journals follow, e.g. elsevier-harvard, springer-basic-author-date, apa."},
				"limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}}}`),
	}
}

// Register adds the journal tools, reading the styles in dir on first use;
// without them the tools are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "apa.csl")); err != nil {
		unavailable = "needs the Citation Style Language styles (apt-get install citation-style-language-styles; scripts/setup-data installs them)"
	}
	return toolexec.RegisterGroup(r, manifests(), unavailable, func() (*Catalogue, error) { return Open(dir) }, call)
}

func call(_ context.Context, c *Catalogue, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Query          string `json:"query"`
		Field          string `json:"field"`
		CitationFormat string `json:"citation_format"`
		TitleContains  string `json:"title_contains"`
		ParentStyle    string `json:"parent_style"`
		Limit          int    `json:"limit"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	switch tool {
	case "journal_lookup":
		return c.Lookup(a.Query)
	case "journal_search":
		if a.Limit == 0 {
			a.Limit = maxResults
		}
		return c.Search(a.Field, a.CitationFormat, a.TitleContains, a.ParentStyle, a.Limit), nil
	}
	return nil, fmt.Errorf("unknown journals tool %q", tool)
}

func looksLikeISSN(s string) bool {
	n := normISSN(s)
	if len(n) != 8 {
		return false
	}
	for i, r := range n {
		if !(r >= '0' && r <= '9') && !(i == 7 && r == 'X') {
			return false
		}
	}
	return true
}

// Lookup finds journals by ISSN, style id or title.
func (c *Catalogue) Lookup(q string) (map[string]any, error) {
	q = strings.TrimSpace(q)
	var found []Journal
	how := ""
	if looksLikeISSN(q) {
		for _, i := range c.byISSN[normISSN(q)] {
			found = append(found, c.Journals[i])
		}
		how = "issn"
	} else {
		for _, j := range c.Journals {
			if strings.EqualFold(j.StyleID, q) || strings.EqualFold(j.Title, q) || (j.ShortTitle != "" && strings.EqualFold(j.ShortTitle, q)) {
				found = append(found, j)
			}
		}
		how = "exact title or style id"
		if len(found) == 0 {
			lq := strings.ToLower(q)
			for _, j := range c.Journals {
				if strings.Contains(strings.ToLower(j.Title), lq) {
					found = append(found, j)
				}
			}
			how = "title contains"
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no journal matches %q (by %s)", q, how)
	}
	out := map[string]any{"query": q, "matched_by": how, "count": len(found)}
	if len(found) > maxResults {
		found, out["truncated"] = found[:maxResults], true
	}
	out["journals"] = found
	return out, nil
}

// Search lists journals by field, citation format, title words and parent style.
func (c *Catalogue) Search(field, format, titleContains, parent string, limit int) map[string]any {
	lt := strings.ToLower(titleContains)
	var found []Journal
	parents := map[string]int{}
	for _, j := range c.Journals {
		if field != "" && !contains(j.Fields, field) {
			continue
		}
		if format != "" && j.CitationFormat != format {
			continue
		}
		if lt != "" && !strings.Contains(strings.ToLower(j.Title), lt) {
			continue
		}
		if parent != "" && !strings.EqualFold(j.ParentStyle, parent) {
			continue
		}
		found = append(found, j)
		if j.ParentStyle != "" {
			parents[j.ParentStyle]++
		}
	}
	type count struct {
		Style string `json:"style"`
		N     int    `json:"journals"`
	}
	var top []count
	for s, n := range parents {
		top = append(top, count{s, n})
	}
	sort.Slice(top, func(a, b int) bool {
		return top[a].N > top[b].N || (top[a].N == top[b].N && top[a].Style < top[b].Style)
	})
	if len(top) > 10 {
		top = top[:10]
	}
	out := map[string]any{"count": len(found), "top_parent_styles": top}
	if len(found) > limit {
		found, out["truncated"] = found[:limit], true
	}
	if found == nil {
		found = []Journal{}
	}
	out["journals"] = found
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
