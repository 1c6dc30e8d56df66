package dictionary

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

func TestDecodeNumber(t *testing.T) {
	for s, want := range map[string]int{"A": 0, "B": 1, "BA": 64, "F5": 5*64 + 57, "CDxmQ": 2*64*64*64*64 + 3*64*64*64 + 49*64*64 + 38*64 + 16} {
		if got, err := decodeNumber(s); err != nil || got != want {
			t.Errorf("decodeNumber(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	if _, err := decodeNumber("a$"); err == nil {
		t.Error("bad digit accepted")
	}
}

func TestGCIDE(t *testing.T) {
	if _, err := os.Stat(filepath.Join(DefaultDir, "gcide.index")); err != nil {
		t.Skipf("GCIDE is not installed (apt-get install dict-gcide): %v", err)
	}
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(r, DefaultDir); err != nil {
		t.Fatal(err)
	}
	call := func(name, args string) toolexec.Result {
		tool, err := r.Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		return r.Call(context.Background(), tool, json.RawMessage(args))
	}
	res := call("dictionary_define", `{"word": "Sundog"}`)
	if res.Err != nil || !strings.Contains(res.Output, "luminous spot") {
		t.Fatalf("define: %.300s %v", res.Output, res.Err)
	}
	res = call("dictionary_define", `{"word": "dog", "max_entries": 2}`)
	var out struct {
		Articles []string `json:"articles"`
	}
	if res.Err != nil || json.Unmarshal([]byte(res.Output), &out) != nil || len(out.Articles) != 2 {
		t.Fatalf("dog: %.300s %v", res.Output, res.Err)
	}
	if res := call("dictionary_define", `{"word": "qwertyzzz"}`); res.Err == nil {
		t.Fatal("a non-word was defined")
	}
	if res := call("dictionary_prefix", `{"prefix": "aardv", "limit": 3}`); res.Err != nil || !strings.Contains(strings.ToLower(res.Output), "aardvark") {
		t.Fatalf("prefix: %s %v", res.Output, res.Err)
	}
}

func TestMissing(t *testing.T) {
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(r, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, tool := range r.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "dict-gcide") {
			t.Fatalf("%s: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
