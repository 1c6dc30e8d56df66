package httptool

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dive-env/dive/toolexec"
)

// seenRequest is what the fake upstream received.
type seenRequest struct {
	method, path string
	query        url.Values
	header       http.Header
	body         string
}

// The answers below follow each API's documented response format.
const (
	arxivFeedXML = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query: search_query=all:attention</title>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/1706.03762v7</id>
    <updated>2023-08-02T00:41:18Z</updated>
    <published>2017-06-12T17:57:34Z</published>
    <title>Attention Is All
      You Need</title>
    <summary>  The dominant sequence transduction models are based on complex recurrent or
convolutional neural networks.</summary>
    <author><name>Ashish Vaswani</name></author>
    <author><name>Noam Shazeer</name><arxiv:affiliation>Google Brain</arxiv:affiliation></author>
    <arxiv:comment>15 pages, 5 figures</arxiv:comment>
    <link href="http://arxiv.org/abs/1706.03762v7" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/1706.03762v7" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>`
	arxivErrorXML = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
  </entry>
</feed>`
	clinicalTablesJSON = `[2,["E11.9","E11.65"],{"name":["Type 2 diabetes mellitus without complications","Type 2 diabetes mellitus with hyperglycemia"]},[["E11.9","Type 2 diabetes mellitus without complications"],["E11.65","Type 2 diabetes mellitus with hyperglycemia"]]]`
)

// fakeUpstreams serves every API group under a path prefix of one loopback server.
func fakeUpstreams(t *testing.T, seen chan<- seenRequest) (*httptest.Server, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case seen <- seenRequest{r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone(), string(body)}:
		default:
		}
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/arxiv/"):
			w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
			if r.URL.Query().Get("id_list") == "1234.12345" {
				w.Write([]byte(arxivErrorXML))
				return
			}
			w.Write([]byte(arxivFeedXML))
		case strings.HasPrefix(p, "/ct/"):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(clinicalTablesJSON))
		case strings.HasSuffix(p, "/works/10.9999/missing"):
			w.Header().Set("Content-Type", "text/plain")
			http.Error(w, "Resource not found.", http.StatusNotFound)
		case strings.HasPrefix(p, "/crossref/"):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"status":"ok","message-type":"work","message-version":"1.0.0","message":{"DOI":"10.1038/nature14539","title":["Deep learning"],"is-referenced-by-count":1}}`))
		case strings.HasPrefix(p, "/rxnav/"):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"idGroup":{"name":"lipitor","rxnormId":["153165"]}}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"meta":{"count":1},"results":[],"total":1,"data":[]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, map[string]string{
		"https://eutils.ncbi.nlm.nih.gov":    srv.URL + "/ncbi",
		"http://export.arxiv.org":            srv.URL + "/arxiv",
		"https://api.crossref.org":           srv.URL + "/crossref",
		"https://api.openalex.org":           srv.URL + "/openalex",
		"https://api.semanticscholar.org":    srv.URL + "/s2",
		"https://rxnav.nlm.nih.gov":          srv.URL + "/rxnav",
		"https://clinicaltables.nlm.nih.gov": srv.URL + "/ct",
	}
}

func groupRegistry(t *testing.T, bases map[string]string, env map[string]string) *toolexec.Registry {
	t.Helper()
	r := toolexec.NewRegistry(toolexec.Options{CallTimeout: 5 * time.Second, MaxResultBytes: 4 << 20})
	err := Register(r, Options{Online: true, BaseURLs: bases, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sampleValue is a valid value for a parameter schema.
func sampleValue(name string, s map[string]any) any {
	if e, ok := s["enum"].([]any); ok {
		return e[0]
	}
	switch s["type"] {
	case "integer":
		if m, ok := s["minimum"].(float64); ok {
			return int(m) + 1
		}
		return 1
	case "array":
		return []string{"id-1", "id-2"}
	}
	if min, ok := s["minLength"].(float64); ok && min > 10 {
		return strings.Repeat("t", int(min))
	}
	if _, ok := s["pattern"]; ok {
		return "2020/01" // the NCBI date parameters
	}
	if name == "mailto" {
		return "dev@example.org"
	}
	return "v-" + name
}

// Every tool of every group, called with its required arguments, reaches
// the endpoint its manifest names, with the path filled in, by the right
// method, and carries every other argument under its own name.
func TestEveryToolReachesItsEndpoint(t *testing.T) {
	seen := make(chan seenRequest, 1)
	_, bases := fakeUpstreams(t, seen)
	r := groupRegistry(t, bases, nil)
	for _, ht := range allTools() {
		m := ht.manifest()
		var sch struct {
			Required   []string                  `json:"required"`
			Properties map[string]map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(m.Parameters, &sch); err != nil {
			t.Fatal(err)
		}
		args := map[string]any{}
		for name := range sch.Properties {
			args[name] = sampleValue(name, sch.Properties[name])
		}
		raw, _ := json.Marshal(args)
		tool, err := r.Resolve(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		res := r.Call(context.Background(), tool, raw)
		if res.Err != nil {
			t.Errorf("%s(%s): %v", m.ID, raw, res.Err)
			continue
		}
		got := <-seen
		wantPath := ht.endpoint
		for base, repl := range bases {
			if strings.HasPrefix(wantPath, base) {
				u, _ := url.Parse(repl + strings.TrimPrefix(wantPath, base))
				wantPath = u.Path
			}
		}
		for _, p := range ht.pathParams() {
			wantPath = strings.ReplaceAll(wantPath, "{"+p+"}", fmt.Sprint(args[p]))
			delete(args, p)
		}
		if got.path != wantPath {
			t.Errorf("%s: path %s, want %s", m.ID, got.path, wantPath)
		}
		wantMethod := ht.method
		if wantMethod == "" {
			wantMethod = http.MethodGet
		}
		if got.method != wantMethod {
			t.Errorf("%s: method %s, want %s", m.ID, got.method, wantMethod)
		}
		for name, v := range args {
			if _, ok := v.([]string); ok {
				if !strings.Contains(got.body, `"`+name+`":["id-1","id-2"]`) {
					t.Errorf("%s: body %s lacks %s", m.ID, got.body, name)
				}
				continue
			}
			want := strings.TrimSpace(strings.Trim(string(mustJSON(v)), `"`))
			if name == "search_query" && ht.queryPrefix != "" {
				want = ht.queryPrefix + want
			}
			if got.query.Get(name) != want {
				t.Errorf("%s: query %s = %q, want %q", m.ID, name, got.query.Get(name), want)
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestGroupSpecifics(t *testing.T) {
	seen := make(chan seenRequest, 1)
	_, bases := fakeUpstreams(t, seen)
	env := map[string]string{"CROSSREF_MAILTO": "dev@example.org", "SEMANTIC_SCHOLAR_API_KEY": "s2-key", "OPENALEX_MAILTO": "oa@example.org"}
	r := groupRegistry(t, bases, env)

	// arXiv: the Atom feed becomes JSON; a bare author query gets au:.
	res := call(t, r, "arxiv_search_by_author", `{"search_query": "vaswani", "max_results": 5}`)
	got := <-seen
	if res.Err != nil || got.query.Get("search_query") != "au:vaswani" || got.query.Get("max_results") != "5" {
		t.Fatalf("arXiv search: %+v %v", res, got.query)
	}
	var feed struct {
		Total   int `json:"total_results"`
		Entries []struct {
			ID, Title, Summary, PDFURL string
			Authors                    []map[string]string
			Categories                 []string
			Comment                    string
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(res.Output), &feed); err != nil {
		t.Fatal(err)
	}
	e := feed.Entries[0]
	if feed.Total != 1 || e.ID != "1706.03762v7" || e.Title != "Attention Is All You Need" || !strings.HasPrefix(e.Summary, "The dominant") ||
		len(e.Authors) != 2 || e.Authors[1]["affiliation"] != "Google Brain" || len(e.Categories) != 2 || e.Comment != "15 pages, 5 figures" ||
		!strings.Contains(res.Output, `"pdf_url":"http://arxiv.org/pdf/1706.03762v7"`) {
		t.Fatalf("arXiv entry: %s", res.Output)
	}
	res = call(t, r, "arxiv_get_papers_by_ids", `{"id_list": "1234.12345"}`)
	<-seen
	if res.Err == nil || !strings.Contains(res.Err.Message, "incorrect id format") {
		t.Fatalf("an arXiv error feed must be an error: %+v", res)
	}

	// Crossref: a DOI keeps its slash in the path; the polite-pool address comes from the environment.
	res = call(t, r, "crossref_get_work", `{"doi": "10.1038/nature14539"}`)
	got = <-seen
	if res.Err != nil || got.path != "/crossref/works/10.1038/nature14539" || got.query.Get("mailto") != "dev@example.org" ||
		!strings.Contains(res.Output, `"is-referenced-by-count":1`) {
		t.Fatalf("Crossref work: %+v %+v", res, got)
	}
	res = call(t, r, "crossref_get_work", `{"doi": "10.9999/missing"}`)
	<-seen
	if res.Err == nil || !strings.Contains(res.Err.Message, "404") || !strings.Contains(res.Err.Message, "Resource not found") {
		t.Fatalf("a Crossref 404 must reach the model: %+v", res)
	}

	// OpenAlex: a full entity URL is reduced to its id.
	call(t, r, "openalex_get_work", `{"work_id": "https://openalex.org/W2741809807"}`)
	got = <-seen
	if got.path != "/openalex/works/W2741809807" || got.query.Get("mailto") != "oa@example.org" {
		t.Fatalf("OpenAlex work: %+v", got)
	}

	// Semantic Scholar: the key goes in x-api-key; batches are POSTed as JSON.
	call(t, r, "semantic_scholar_paper_batch", `{"ids": ["CorpusId:215416146", "DOI:10.18653/v1/N18-3011"], "fields": "title,year"}`)
	got = <-seen
	if got.method != http.MethodPost || got.header.Get("x-api-key") != "s2-key" || got.query.Get("fields") != "title,year" ||
		got.body != `{"ids":["CorpusId:215416146","DOI:10.18653/v1/N18-3011"]}` || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("S2 batch: %+v", got)
	}

	// RxNav: JSON by the .json suffix.
	res = call(t, r, "rxnorm_find_rxcui_by_string", `{"name": "lipitor", "search": "2"}`)
	got = <-seen
	if res.Err != nil || got.path != "/rxnav/REST/rxcui.json" || got.query.Get("name") != "lipitor" || !strings.Contains(res.Output, "153165") {
		t.Fatalf("RxNav: %+v %+v", res, got)
	}

	// Clinical tables: the positional array becomes named fields.
	res = call(t, r, "icd10cm_diagnosis_codes", `{"terms": "diabetes type 2", "maxList": 2, "ef": "name"}`)
	<-seen
	var ct struct {
		Total   int `json:"total"`
		Results []struct {
			Code    string            `json:"code"`
			Display []string          `json:"display"`
			Extra   map[string]string `json:"extra"`
		} `json:"results"`
	}
	if res.Err != nil || json.Unmarshal([]byte(res.Output), &ct) != nil || ct.Total != 2 || len(ct.Results) != 2 || ct.Results[1].Code != "E11.65" ||
		ct.Results[0].Display[1] != "Type 2 diabetes mellitus without complications" || ct.Results[1].Extra["name"] != "Type 2 diabetes mellitus with hyperglycemia" {
		t.Fatalf("clinical tables: %+v %s", res.Err, res.Output)
	}
}

// arXiv's host gets one request at a time by default.
func TestArxivIsSerialized(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Write([]byte(arxivFeedXML))
	}))
	defer srv.Close()
	r := groupRegistry(t, map[string]string{"http://export.arxiv.org": srv.URL}, nil)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := call(t, r, "arxiv_search_papers", `{"search_query": "all:attention"}`); res.Err != nil {
				t.Error(res.Err)
			}
		}()
	}
	wg.Wait()
	if peak.Load() != 1 {
		t.Fatalf("%d requests in flight to arXiv, want 1", peak.Load())
	}
}
