package docweb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dive-env/dive/toolexec"
)

const (
	maxHits        = 10
	maxPassages    = 5
	maxPassageText = 2000
	maxOutline     = 80
	maxLinks       = 60
)

func manifests(sites []Site) []toolexec.Manifest {
	var names []string
	for _, s := range sites {
		names = append(names, s.Name+" ("+s.Base+")")
	}
	corpus := strings.Join(names, " and ")
	m := func(id, desc, params string) toolexec.Manifest {
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: "general", Source: "docweb", Version: "1.0.0",
			Description: desc, Module: "docweb", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	return []toolexec.Manifest{
		m("general.search.search", "Search the offline web: "+corpus+", as Debian ships them, under their public URLs. BM25 over page sections; "+
			"site:HOST in the query keeps results from that site. Returns up to 10 hits with url (and the section's #anchor), title, section, snippet and score.",
			`{"type": "object", "required": ["query"], "additionalProperties": false, "properties": {
				"query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Words to search for, e.g. json dumps indent; site:sqlite.org limits the site."}}}`),
		m("general.search.parallel_search", "Run several searches of the offline web ("+corpus+") at once; each gives up to 10 hits as search does.",
			`{"type": "object", "required": ["queries"], "additionalProperties": false, "properties": {
				"queries": {"type": "array", "minItems": 1, "maxItems": 10, "items": {"type": "string", "minLength": 1, "maxLength": 500}, "description": "The queries."}}}`),
		m("general.browse.browse", "Open a page of the offline web ("+corpus+") by its URL and read it against a question: the page title, "+
			"its passages ranked by relevance to the question (BM25), the section a #fragment names, the outline and the links to follow. "+
			"It extracts text; it does not compose an answer.",
			`{"type": "object", "required": ["url", "query"], "additionalProperties": false, "properties": {
				"url": {"type": "string", "format": "uri", "minLength": 8, "maxLength": 2000, "description": "The page, e.g. https://docs.python.org/3.11/library/json.html#basic-usage."},
				"query": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "What to look for on the page."}}}`),
	}
}

// Register adds search, parallel_search and browse over the installed
// sites; the index is built on first use. Without any site they are listed
// with the reason.
func Register(r *toolexec.Registry, sites []Site) error {
	var installed []Site
	for _, s := range sites {
		if _, err := os.Stat(s.Dir); err == nil {
			installed = append(installed, s)
		}
	}
	unavailable := ""
	if len(installed) == 0 {
		installed = sites
		unavailable = "needs an offline documentation mirror (apt-get install " + packagesOf(sites) + "; scripts/setup-data installs them)"
	}
	return toolexec.RegisterGroup(r, manifests(installed), unavailable, func() (*Corpus, error) { return Build(installed) }, call)
}

func call(_ context.Context, c *Corpus, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Query   string   `json:"query"`
		Queries []string `json:"queries"`
		URL     string   `json:"url"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	switch tool {
	case "search":
		return c.search(a.Query), nil
	case "parallel_search":
		var out []map[string]any
		for _, q := range a.Queries {
			out = append(out, c.search(q))
		}
		return map[string]any{"results": out}, nil
	case "browse":
		return c.Browse(a.URL, a.Query)
	}
	return nil, fmt.Errorf("unknown docweb tool %q", tool)
}

// search answers one query, honouring site: filters.
func (c *Corpus) search(query string) map[string]any {
	var words, sites []string
	for _, w := range strings.Fields(query) {
		if s, ok := strings.CutPrefix(strings.ToLower(w), "site:"); ok && s != "" {
			sites = append(sites, s)
			continue
		}
		words = append(words, w)
	}
	k := maxHits
	if len(sites) > 0 {
		k = maxHits * 20 // filtered below
	}
	hits := c.Search(strings.Join(words, " "), k)
	if len(sites) > 0 {
		var kept []Hit
		for _, h := range hits {
			u, _ := url.Parse(h.URL)
			for _, s := range sites {
				if strings.HasSuffix(u.Host, s) || strings.Contains(u.Host+u.Path, s) {
					kept = append(kept, h)
					break
				}
			}
		}
		hits = kept
	}
	if len(hits) > maxHits {
		hits = hits[:maxHits]
	}
	if hits == nil {
		hits = []Hit{}
	}
	return map[string]any{"query": query, "hits": hits}
}

// resolve maps a public URL of a mirrored site to its file.
func (c *Corpus) resolve(raw string) (Site, string, string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Site{}, "", "", fmt.Errorf("bad URL %q: %w", raw, err)
	}
	fragment := u.Fragment
	u.Fragment, u.RawQuery = "", ""
	s := u.String()
	for _, site := range c.Sites {
		for _, base := range append([]string{site.Base}, site.Aliases...) {
			rel, ok := strings.CutPrefix(s, base)
			if !ok && s+"/" == base {
				rel, ok = "", true
			}
			if !ok {
				continue
			}
			if rel == "" || strings.HasSuffix(rel, "/") {
				rel += "index.html"
			}
			clean := strings.TrimPrefix(path.Clean("/"+rel), "/")
			if strings.HasPrefix(clean, "_") || strings.Contains(clean, "..") {
				return Site{}, "", "", fmt.Errorf("no page at %s in the offline mirror of %s", raw, site.Name)
			}
			file := filepath.Join(site.Dir, filepath.FromSlash(clean))
			if st, err := os.Stat(file); err != nil || st.IsDir() {
				return Site{}, "", "", fmt.Errorf("no page at %s in the offline mirror of %s (search finds pages)", raw, site.Name)
			}
			return site, file, fragment, nil
		}
	}
	var bases []string
	for _, site := range c.Sites {
		bases = append(bases, site.Base)
	}
	return Site{}, "", "", fmt.Errorf("%s is not on the offline web; browse opens pages under %s", raw, strings.Join(bases, ", "))
}

// Passage is a section of a browsed page with its relevance to the question.
type Passage struct {
	Heading   string  `json:"heading"`
	URL       string  `json:"url"`
	Text      string  `json:"text"`
	Truncated bool    `json:"truncated,omitempty"`
	Score     float64 `json:"score"`
}

// Browse opens a mirrored page and ranks its sections against the question.
func (c *Corpus) Browse(rawURL, question string) (map[string]any, error) {
	site, file, fragment, err := c.resolve(rawURL)
	if err != nil {
		return nil, err
	}
	rel, _ := filepath.Rel(site.Dir, file)
	p, err := readPage(file, site.Base+filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	terms := uniq(tokens(question))
	type scored struct {
		i     int
		score float64
	}
	var ranked []scored
	for i, s := range p.Sections {
		tf := map[string]int{}
		n := 0
		for _, t := range tokens(s.Text + " " + s.Heading) {
			tf[t]++
			n++
		}
		ranked = append(ranked, scored{i, c.bm25(tf, n, terms)})
	}
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	passage := func(i int, score float64) Passage {
		s := p.Sections[i]
		text, cut := s.Text, false
		if r := []rune(text); len(r) > maxPassageText {
			text, cut = string(r[:maxPassageText])+"…", true
		}
		return Passage{Heading: s.Heading, URL: sectionURL(p.URL, s.Anchor), Text: text, Truncated: cut, Score: float64(int(score*1000)) / 1000}
	}
	out := map[string]any{"url": p.URL, "title": p.Title, "site": site.Name, "sections": len(p.Sections)}
	var passages []Passage
	for _, r := range ranked {
		if len(passages) == maxPassages || (r.score == 0 && len(passages) > 0) {
			break
		}
		passages = append(passages, passage(r.i, r.score))
	}
	out["passages"] = passages
	if fragment != "" {
		for i, s := range p.Sections {
			if s.Anchor == fragment {
				out["fragment_section"] = passage(i, 0)
				break
			}
		}
	}
	var outline []map[string]string
	for _, s := range p.Sections {
		if s.Heading != "" && len(outline) < maxOutline {
			outline = append(outline, map[string]string{"heading": s.Heading, "url": sectionURL(p.URL, s.Anchor)})
		}
	}
	out["outline"] = outline
	links := p.Links
	out["links_total"] = len(links)
	if len(links) > maxLinks {
		links = links[:maxLinks]
	}
	out["links"] = links
	return out, nil
}
