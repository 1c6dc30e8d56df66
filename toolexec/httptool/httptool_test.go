package httptool

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dive-env/dive/toolexec"
)

// fakeEutils answers like NCBI's E-utilities, in their documented formats.
func fakeEutils(t *testing.T, seen chan url.Values) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/entrez/eutils/esearch.fcgi", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.Query()
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write([]byte(`{"header":{"type":"esearch","version":"0.3"},"esearchresult":{"count":"2","retmax":"2","retstart":"0","idlist":["39000001","38000002"],"translationset":[],"querytranslation":"BRCA1[gene]"}}`))
	})
	mux.HandleFunc("/entrez/eutils/efetch.fcgi", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.Query()
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Query().Get("id") == "huge" {
			w.Write([]byte(strings.Repeat("A", 3<<20)))
			return
		}
		w.Write([]byte(">NM_007294.4 Homo sapiens BRCA1\nGCTGAGACTTCCTGGACGGGGGACAGGCTGTGGGGTTTCTCAGATAACTGGGCCCCTGCGCTCAGGAGGCCTTCACCCTCTGCTCTGGGTAAAG\n"))
	})
	mux.HandleFunc("/entrez/eutils/esummary.fcgi", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.Query()
		http.Error(w, "API rate limit exceeded", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/entrez/eutils/einfo.fcgi", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/elsewhere", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func onlineRegistry(t *testing.T, srv *httptest.Server, perHost int) *toolexec.Registry {
	t.Helper()
	r := toolexec.NewRegistry(toolexec.Options{CallTimeout: 5 * time.Second, MaxResultBytes: 4 << 20})
	env := map[string]string{"NCBI_API_KEY": "test-key", "NCBI_EMAIL": "dev@example.org"}
	err := Register(r, Options{Online: true, PerHost: perHost, BaseURLs: map[string]string{"https://eutils.ncbi.nlm.nih.gov": srv.URL},
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func call(t *testing.T, r *toolexec.Registry, name, args string) toolexec.Result {
	t.Helper()
	tool, err := r.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	return r.Call(context.Background(), tool, json.RawMessage(args))
}

func TestEutilsOverLoopback(t *testing.T) {
	seen := make(chan url.Values, 16)
	srv := fakeEutils(t, seen)
	r := onlineRegistry(t, srv, 3)

	res := call(t, r, "ncbi_entrez_search", `{"db": "gene", "term": "BRCA1[gene]", "retmax": 5}`)
	if res.Err != nil || !strings.Contains(res.Output, `"idlist":["39000001","38000002"]`) {
		t.Fatalf("search: %+v", res)
	}
	q := <-seen
	for k, want := range map[string]string{"db": "gene", "term": "BRCA1[gene]", "retmax": "5", "retmode": "json", "tool": "dive", "api_key": "test-key", "email": "dev@example.org"} {
		if q.Get(k) != want {
			t.Errorf("query %s = %q, want %q (all: %v)", k, q.Get(k), want, q)
		}
	}
	res = call(t, r, "ncbi_entrez_fetch", `{"db": "nuccore", "id": "NM_007294", "rettype": "fasta", "retmode": "text"}`)
	if res.Err != nil || !strings.HasPrefix(res.Output, ">NM_007294.4") {
		t.Fatalf("fetch: %+v", res)
	}
	<-seen
	res = call(t, r, "ncbi_entrez_fetch", `{"db": "nuccore", "id": "huge"}`)
	if res.Err != nil || !strings.Contains(res.Output, "response truncated at 2097152 bytes") {
		t.Fatalf("body cap: err %v, %d bytes", res.Err, len(res.Output))
	}
	<-seen
	res = call(t, r, "ncbi_entrez_summary", `{"db": "pubmed", "id": "1"}`)
	if res.Err == nil || !strings.Contains(res.Err.Message, "429") {
		t.Fatalf("an upstream error should reach the model: %+v", res)
	}
	<-seen
	res = call(t, r, "ncbi_entrez_einfo", `{}`)
	if res.Err == nil || !strings.Contains(res.Err.Message, "allowlist") {
		t.Fatalf("a redirect off the allowlist must fail: %+v", res)
	}
	res = call(t, r, "ncbi_entrez_search", `{"db": "astrology", "term": "x"}`)
	if res.Err == nil || res.Err.Kind != toolexec.ErrInvalidArguments {
		t.Fatalf("schema: %+v", res)
	}
	if _, _, err := NewClient(Options{}, eutils).Get(context.Background(), "http://127.0.0.1:1/x", nil); err == nil || !strings.Contains(err.Error(), "allowlist") {
		t.Fatalf("a host off the allowlist: %v", err)
	}
}

func TestPerHostLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	r := onlineRegistry(t, srv, 1)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			call(t, r, "ncbi_entrez_espell", `{"term": "brac1"}`)
			done <- struct{}{}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if peak.Load() != 1 {
		t.Fatalf("%d requests in flight to one host, limit 1", peak.Load())
	}
}

func TestOfflineListing(t *testing.T) {
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(r, Options{}); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 146 {
		t.Fatalf("%d tools, want 7 NCBI, 6 arXiv, 15 Crossref, 12 OpenAlex, 17 Semantic Scholar, 79 RxNav and 10 Clinical Tables", r.Len())
	}
	for _, tool := range r.Tools() {
		u, _ := url.Parse(tool.Manifest.Meta["upstream_api"].(string))
		if tool.Executable() || !strings.Contains(tool.Reason(), "needs network access to "+u.Host) || !strings.Contains(tool.Reason(), "--online") {
			t.Fatalf("offline tool %s: executable=%v reason=%q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}

// TestManifestsMatchReference: same ids, names, parameters, types and required lists as the reference.
func TestManifestsMatchReference(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "dive-reference", "tools")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("DIVE reference manifests not found at %s (../shared is absent)", dir)
	}
	ref, err := toolexec.ReadManifests(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The reference lists a few RxNav ids twice (with and without .json,
	// sometimes with different parameters): ours must match one of them.
	byID := map[string][]toolexec.Manifest{}
	for _, m := range ref {
		byID[m.ID] = append(byID[m.ID], m)
	}
	for _, tool := range allTools() {
		ours := tool.manifest()
		var diffs []string
		for i, theirs := range byID[ours.ID] {
			if theirs.Name != ours.Name || theirs.Domain != ours.Domain {
				continue
			}
			d := toolexec.CompareParameters(ours, theirs)
			if i == 0 || len(d) < len(diffs) {
				diffs = d
			}
			if len(d) == 0 {
				break
			}
		}
		if len(byID[ours.ID]) == 0 {
			t.Errorf("%s: no reference manifest", ours.ID)
		}
		for _, d := range diffs {
			t.Errorf("%s: %s", ours.ID, d)
		}
	}
}
