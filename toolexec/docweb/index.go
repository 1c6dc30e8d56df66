package docweb

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Site is a documentation site mirrored from a Debian package.
type Site struct {
	Name    string // e.g. "Python 3.11 documentation"
	Package string // the Debian package that ships it
	Base    string // public URL of the directory, ending in "/"
	Aliases []string
	Dir     string // where the package installs the HTML
}

// DefaultSites are the mirrors scripts/setup-data installs.
var DefaultSites = []Site{
	{Name: "Python 3.11 documentation", Package: "python3.11-doc", Base: "https://docs.python.org/3.11/",
		Aliases: []string{"https://docs.python.org/3/", "http://docs.python.org/3.11/", "http://docs.python.org/3/"}, Dir: "/usr/share/doc/python3.11/html"},
	{Name: "SQLite documentation (3.40)", Package: "sqlite3-doc", Base: "https://www.sqlite.org/",
		Aliases: []string{"https://sqlite.org/", "http://www.sqlite.org/", "http://sqlite.org/"}, Dir: "/usr/share/doc/sqlite3"},
}

// skipFile leaves out generated index pages and search pages, which hold
// no prose of their own.
func skipFile(rel string) bool {
	base := filepath.Base(rel)
	return strings.HasPrefix(rel, "_") || strings.HasPrefix(base, "genindex") || base == "search.html" ||
		base == "py-modindex.html" || strings.HasPrefix(base, "toc") || base == "sitemap.html" || base == "keyword_index.html"
}

// BM25 parameters (the usual defaults).
const (
	k1 = 1.2
	b  = 0.75
	// headingWeight counts a section's heading words this many times (the page title's once).
	headingWeight = 3
)

type posting struct {
	doc int32
	tf  uint16
}

// section is one indexed unit: a section of a page.
type section struct {
	page, sec int32
}

// Corpus holds the mirrored pages' sections and their inverted index.
type Corpus struct {
	Sites    []Site
	pages    []*Page
	pageSite []int
	docs     []section
	lengths  []int32
	avgLen   float64
	postings map[string][]posting
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be but by for from has have how i if in into is it its of on or
		that the their then there these this to was what when where which who why will with you your can does do not no`) {
		stopWords[w] = true
	}
}

// tokens splits text into lower-case words of letters, digits and
// underscores, without stop words.
func tokens(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		if len(f) > 1 && !stopWords[f] || (len(f) == 1 && unicode.IsDigit(rune(f[0]))) {
			out = append(out, f)
		}
	}
	return out
}

// Build reads every page of the sites whose directories exist and indexes
// their sections.
func Build(sites []Site) (*Corpus, error) {
	c := &Corpus{postings: map[string][]posting{}}
	for _, s := range sites {
		if _, err := os.Stat(s.Dir); err != nil {
			continue
		}
		c.Sites = append(c.Sites, s)
		siteIdx := len(c.Sites) - 1
		var files []string
		err := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.Dir, path)
			if d.IsDir() {
				if rel != "." && strings.HasPrefix(d.Name(), "_") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, ".html") && !skipFile(filepath.ToSlash(rel)) {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", s.Name, err)
		}
		// Parsing dominates: parse in parallel, index in file order.
		pages := make([]*Page, len(files))
		errs := make([]error, len(files))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					pages[i], errs[i] = readPage(filepath.Join(s.Dir, files[i]), s.Base+filepath.ToSlash(files[i]))
				}
			}()
		}
		for i := range files {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, p := range pages {
			if errs[i] != nil {
				return nil, fmt.Errorf("index %s: %w", s.Name, errs[i])
			}
			c.add(p, siteIdx)
		}
	}
	if len(c.pages) == 0 {
		return nil, fmt.Errorf("no documentation is installed (%s)", packagesOf(sites))
	}
	var total int64
	for _, l := range c.lengths {
		total += int64(l)
	}
	c.avgLen = float64(total) / float64(len(c.lengths))
	return c, nil
}

func packagesOf(sites []Site) string {
	var p []string
	for _, s := range sites {
		p = append(p, s.Package)
	}
	return strings.Join(p, ", ")
}

func readPage(path, pageURL string) (*Page, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Parse(f, pageURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func (c *Corpus) add(p *Page, site int) {
	pi := int32(len(c.pages))
	c.pages = append(c.pages, p)
	c.pageSite = append(c.pageSite, site)
	for si, s := range p.Sections {
		tf := map[string]int{}
		n := 0
		for _, t := range tokens(s.Text) {
			tf[t]++
			n++
		}
		for _, t := range tokens(s.Heading) {
			tf[t] += headingWeight
			n += headingWeight
		}
		for _, t := range tokens(p.Title) {
			tf[t]++
			n++
		}
		if n == 0 {
			continue
		}
		doc := int32(len(c.docs))
		c.docs = append(c.docs, section{pi, int32(si)})
		c.lengths = append(c.lengths, int32(n))
		for t, f := range tf {
			c.postings[t] = append(c.postings[t], posting{doc, uint16(min(f, math.MaxUint16))})
		}
	}
}

// idf is the BM25 inverse document frequency of a term.
func (c *Corpus) idf(term string) float64 {
	df := float64(len(c.postings[term]))
	n := float64(len(c.docs))
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// bm25 scores a section of length n with term frequencies tf.
func (c *Corpus) bm25(tf map[string]int, n int, terms []string) float64 {
	score := 0.0
	for _, t := range terms {
		f := float64(tf[t])
		if f == 0 {
			continue
		}
		score += c.idf(t) * f * (k1 + 1) / (f + k1*(1-b+b*float64(n)/c.avgLen))
	}
	return score
}

// Hit is one search result: a section of a page.
type Hit struct {
	URL     string  `json:"url"`
	Title   string  `json:"title"`
	Section string  `json:"section,omitempty"`
	Snippet string  `json:"snippet"`
	Site    string  `json:"site"`
	Score   float64 `json:"score"`
}

// Search ranks sections by BM25 and returns the best k, at most two per page.
func (c *Corpus) Search(query string, k int) []Hit {
	terms := uniq(tokens(query))
	scores := map[int32]float64{}
	for _, t := range terms {
		idf := c.idf(t)
		for _, p := range c.postings[t] {
			f := float64(p.tf)
			scores[p.doc] += idf * f * (k1 + 1) / (f + k1*(1-b+b*float64(c.lengths[p.doc])/c.avgLen))
		}
	}
	ranked := make([]int32, 0, len(scores))
	for d := range scores {
		ranked = append(ranked, d)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if scores[ranked[i]] != scores[ranked[j]] {
			return scores[ranked[i]] > scores[ranked[j]]
		}
		return ranked[i] < ranked[j]
	})
	perPage := map[int32]int{}
	var hits []Hit
	for _, d := range ranked {
		s := c.docs[d]
		if perPage[s.page] == 2 {
			continue
		}
		perPage[s.page]++
		p := c.pages[s.page]
		sec := p.Sections[s.sec]
		hits = append(hits, Hit{URL: sectionURL(p.URL, sec.Anchor), Title: p.Title, Section: sec.Heading, Snippet: snippet(sec.Text, terms),
			Site: c.Sites[c.pageSite[s.page]].Name, Score: math.Round(scores[d]*1000) / 1000})
		if len(hits) == k {
			break
		}
	}
	return hits
}

func uniq(ts []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func sectionURL(page, anchor string) string {
	if anchor == "" {
		return page
	}
	return page + "#" + anchor
}

// snippet is the line of text with the most query terms, clipped around
// the first of them.
func snippet(text string, terms []string) string {
	const width = 280
	best, bestN := "", -1
	for _, line := range strings.Split(text, "\n") {
		n := 0
		for _, t := range tokens(line) {
			for _, q := range terms {
				if t == q {
					n++
				}
			}
		}
		if n > bestN {
			best, bestN = line, n
		}
	}
	r := []rune(best)
	if len(r) <= width {
		return best
	}
	start := 0
	lower := strings.ToLower(best)
	for _, q := range terms {
		if i := strings.Index(lower, q); i >= 0 {
			start = max(0, len([]rune(lower[:i]))-width/4)
			break
		}
	}
	end := min(len(r), start+width)
	out := string(r[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(r) {
		out += "…"
	}
	return out
}
