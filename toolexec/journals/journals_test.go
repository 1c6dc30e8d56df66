package journals

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

func catalogue(t *testing.T) *Catalogue {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "apa.csl")); err != nil {
		t.Skipf("citation-style-language-styles is not installed (scripts/setup-data installs it): %v", err)
	}
	c, err := Open(DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The expected counts were computed from the same files with Python's
// xml.etree (a dependent style's citation format is its parent's).
func TestCatalogue(t *testing.T) {
	c := catalogue(t)
	if len(c.Journals) != 10380 {
		t.Fatalf("%d styles, want 10380", len(c.Journals))
	}
	tests := []struct {
		field, format, title, parent string
		count                        int
	}{
		{"medicine", "numeric", "", "", 1745},
		{"", "", "", "elsevier-harvard", 665},
		{"", "", "lancet", "", 4},
	}
	for _, tc := range tests {
		out := c.Search(tc.field, tc.format, tc.title, tc.parent, 5)
		if out["count"] != tc.count || len(out["journals"].([]Journal)) != min(5, tc.count) {
			t.Errorf("search %+v: %v journals, want %d", tc, out["count"], tc.count)
		}
	}
	out, err := c.Lookup("1061-4036")
	if err != nil {
		t.Fatal(err)
	}
	j := out["journals"].([]Journal)[0]
	if j.StyleID != "nature-genetics" || j.EISSN != "1546-1718" || j.ParentStyle != "nature" || j.CitationFormat != "numeric" || !j.Dependent ||
		strings.Join(j.Fields, ",") != "biology,medicine" {
		t.Fatalf("Nature Genetics: %+v", j)
	}
	if out, err := c.Lookup("1546-1718"); err != nil || out["journals"].([]Journal)[0].StyleID != "nature-genetics" {
		t.Fatalf("by electronic ISSN: %v %v", out, err)
	}
	if out, err := c.Lookup("the lancet"); err != nil || out["matched_by"] != "exact title or style id" || out["count"] != 1 {
		t.Fatalf("by title: %v %v", out, err)
	}
	if out, err := c.Lookup("journal of genetics"); err != nil || out["matched_by"] != "title contains" || out["count"] != 2 {
		t.Fatalf("by part of a title: %v %v", out, err)
	}
	if out, err := c.Lookup("journal of"); err != nil || out["truncated"] != true || len(out["journals"].([]Journal)) != maxResults {
		t.Fatalf("a broad title query is capped: %v %v", out["count"], err)
	}
	if _, err := c.Lookup("0000-0000"); err == nil || !strings.Contains(err.Error(), "by issn") {
		t.Fatalf("an unknown ISSN: %v", err)
	}
}

func TestToolsAndMissingData(t *testing.T) {
	catalogue(t)
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	tool, _ := reg.Resolve("journal_search")
	res := reg.Call(context.Background(), tool, json.RawMessage(`{"field": "medicine", "citation_format": "numeric", "limit": 2}`))
	if res.Err != nil || !strings.Contains(res.Output, `"count":1745`) {
		t.Fatalf("journal_search: %+v", res)
	}
	if res := reg.Call(context.Background(), tool, json.RawMessage(`{"field": "cooking"}`)); res.Err == nil || res.Err.Kind != toolexec.ErrInvalidArguments {
		t.Fatalf("an unknown field: %+v", res)
	}
	missing := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(missing, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, tool := range missing.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "setup-data") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
