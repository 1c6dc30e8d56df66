package docweb

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

var testSite = Site{Name: "Tea docs", Package: "tea-doc", Base: "https://tea.example.org/1.0/",
	Aliases: []string{"https://tea.example.org/latest/"}, Dir: "testdata/site"}

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/site/library/kettle.html")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse(f, "https://tea.example.org/1.0/library/kettle.html")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "kettle — Boiling water" {
		t.Errorf("title %q (the Sphinx suffix must go)", p.Title)
	}
	var headings, anchors []string
	for _, s := range p.Sections {
		headings = append(headings, s.Heading)
		anchors = append(anchors, s.Anchor)
	}
	if want := []string{"kettle — Boiling water", "Temperatures", "Descaling"}; !reflect.DeepEqual(headings, want) {
		t.Errorf("headings %q, want %q", headings, want)
	}
	if want := []string{"module-kettle", "temperatures", "descaling"}; !reflect.DeepEqual(anchors, want) {
		t.Errorf("anchors %q, want %q", anchors, want)
	}
	if s := p.Sections[1].Text; s != "Water boils at 100 degrees Celsius at sea level; green tea wants 80 degrees.\nBlack tea: 95 degrees\nOolong: 90 degrees" {
		t.Errorf("section text %q", s)
	}
	all := ""
	for _, s := range p.Sections {
		all += s.Heading + s.Text
	}
	for _, chromeWord := range []string{"navigation bar", "sidebar", "footer", "tracking", "¶"} {
		if strings.Contains(all, chromeWord) {
			t.Errorf("page text keeps %q: %q", chromeWord, all)
		}
	}
	wantLinks := []Link{{"tea", "https://tea.example.org/1.0/library/tea.html"}, {"limescale", "https://example.org/limescale"}}
	if !reflect.DeepEqual(p.Links, wantLinks) {
		t.Errorf("links %v, want %v", p.Links, wantLinks)
	}
}

func testCorpus(t *testing.T) *Corpus {
	t.Helper()
	c, err := Build([]Site{testSite, {Name: "absent", Package: "absent-doc", Base: "https://absent.example/", Dir: "testdata/nothing"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSearch(t *testing.T) {
	c := testCorpus(t)
	if len(c.pages) != 2 || len(c.Sites) != 1 {
		t.Fatalf("%d pages of %d sites; _static and genindex pages are left out, absent sites skipped", len(c.pages), len(c.Sites))
	}
	hits := c.Search("zebra", 10)
	if len(hits) != 0 {
		t.Fatalf("words of skipped pages are found: %v", hits)
	}
	hits = c.Search("oolong steeping", 10)
	if len(hits) == 0 || hits[0].URL != "https://tea.example.org/1.0/index.html#overview" {
		t.Fatalf("oolong steeping: %+v", hits)
	}
	hits = c.Search("descale citric acid", 10)
	if len(hits) == 0 || hits[0].URL != "https://tea.example.org/1.0/library/kettle.html#descaling" || hits[0].Section != "Descaling" ||
		!strings.Contains(hits[0].Snippet, "citric acid") || hits[0].Title != "kettle — Boiling water" {
		t.Fatalf("descale: %+v", hits)
	}
	// Scores fall; a heading word outweighs the same word in body text.
	hits = c.Search("steeping", 10)
	if len(hits) < 2 || hits[0].URL != "https://tea.example.org/1.0/index.html#steeping" || hits[0].Score <= hits[1].Score {
		t.Fatalf("steeping: %+v", hits)
	}
	if out := c.search("kettle site:elsewhere.org"); len(out["hits"].([]Hit)) != 0 {
		t.Fatalf("site: filter: %v", out)
	}
	if out := c.search("kettle site:tea.example.org"); len(out["hits"].([]Hit)) == 0 {
		t.Fatalf("site: filter drops its own site: %v", out)
	}
}

func TestBrowse(t *testing.T) {
	c := testCorpus(t)
	out, err := c.Browse("https://tea.example.org/latest/library/kettle.html#descaling", "what temperature for green tea")
	if err != nil {
		t.Fatal(err)
	}
	passages := out["passages"].([]Passage)
	if out["url"] != "https://tea.example.org/1.0/library/kettle.html" || passages[0].Heading != "Temperatures" ||
		passages[0].URL != "https://tea.example.org/1.0/library/kettle.html#temperatures" {
		t.Fatalf("browse: %+v", out)
	}
	if f := out["fragment_section"].(Passage); f.Heading != "Descaling" {
		t.Fatalf("fragment: %+v", f)
	}
	if out, err := c.Browse("https://tea.example.org/1.0/", "brewing"); err != nil || out["title"] != "Tea Guide" {
		t.Fatalf("a directory URL opens index.html: %v %v", out, err)
	}
	for _, bad := range []struct{ url, err string }{
		{"https://tea.example.org/1.0/missing.html", "no page at"},
		{"https://tea.example.org/1.0/../../../../etc/passwd", "no page at"},
		{"https://tea.example.org/1.0/_static/ignored.html", "no page at"},
		{"https://evil.example.com/", "not on the offline web"},
	} {
		if _, err := c.Browse(bad.url, "x"); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: %v, want %q", bad.url, err, bad.err)
		}
	}
}

func TestTools(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, []Site{testSite}); err != nil {
		t.Fatal(err)
	}
	tool, _ := reg.Resolve("parallel_search")
	res := reg.Call(context.Background(), tool, json.RawMessage(`{"queries": ["citric", "oolong"]}`))
	var out struct {
		Results []struct {
			Query string `json:"query"`
			Hits  []Hit  `json:"hits"`
		} `json:"results"`
	}
	if res.Err != nil || json.Unmarshal([]byte(res.Output), &out) != nil || len(out.Results) != 2 || out.Results[1].Query != "oolong" || len(out.Results[0].Hits) == 0 {
		t.Fatalf("parallel_search: %+v", res)
	}
	tool, _ = reg.Resolve("browse")
	if res := reg.Call(context.Background(), tool, json.RawMessage(`{"url": "https://evil.example.com/x", "query": "q"}`)); res.Err == nil || res.Err.Kind != toolexec.ErrToolFailed {
		t.Fatalf("browse off the mirror: %+v", res)
	}

	missing := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(missing, []Site{{Name: "none", Package: "none-doc", Base: "https://none.example/", Dir: t.TempDir() + "/x"}}); err != nil {
		t.Fatal(err)
	}
	for _, tool := range missing.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "none-doc") {
			t.Fatalf("%s without documentation: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}

// TestDebianDocumentation runs the tools over the installed Python and
// SQLite documentation.
func TestDebianDocumentation(t *testing.T) {
	for _, s := range DefaultSites {
		if _, err := os.Stat(s.Dir); err != nil {
			t.Skipf("%s is not installed (scripts/setup-data installs it): %v", s.Package, err)
		}
	}
	c, err := Build(DefaultSites)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.pages) < 1000 {
		t.Fatalf("%d pages indexed", len(c.pages))
	}
	tests := []struct{ query, url string }{
		{"asyncio gather return_exceptions", "https://docs.python.org/3.11/library/asyncio-task.html#running-tasks-concurrently"},
		{"deferred foreign key constraints", "https://www.sqlite.org/foreignkeys.html#fk_deferred"},
	}
	for _, tc := range tests {
		hits := c.Search(tc.query, 5)
		found := false
		for _, h := range hits {
			found = found || h.URL == tc.url
		}
		if !found {
			t.Errorf("%q: %s not among %+v", tc.query, tc.url, hits)
		}
	}
	out, err := c.Browse("https://docs.python.org/3/library/json.html", "what does the indent argument of dumps do")
	if err != nil {
		t.Fatal(err)
	}
	if out["title"] != "json — JSON encoder and decoder" || !strings.Contains(out["passages"].([]Passage)[0].Text, "indent") {
		t.Fatalf("browse json: %v", out["passages"])
	}
}

// BenchmarkDebianDocs measures building the index of the installed
// documentation and answering a search and a browse.
func BenchmarkDebianDocs(b *testing.B) {
	for _, s := range DefaultSites {
		if _, err := os.Stat(s.Dir); err != nil {
			b.Skipf("%s is not installed: %v", s.Package, err)
		}
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := Build(DefaultSites); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := Build(DefaultSites)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			c.search("asyncio gather return exceptions")
		}
	})
	b.Run("browse", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Browse("https://docs.python.org/3.11/library/json.html", "indent argument"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
