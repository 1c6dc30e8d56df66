package toolexec

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// referenceTools is where the DIVE reference release's manifests live beside the checkout.
var referenceTools = filepath.Join("..", "..", "shared", "dive-reference", "tools")

func requireReference(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(referenceTools); err != nil {
		t.Skipf("DIVE reference manifests not found at %s (../shared is absent): %v", referenceTools, err)
	}
}

// TestReferenceManifestsLoad loads all 383 manifests of the reference release,
// compiles every parameter schema, and registers the 373 distinct tools.
func TestReferenceManifestsLoad(t *testing.T) {
	requireReference(t)
	ms, err := ReadManifests(referenceTools)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 383 {
		t.Fatalf("read %d manifests, want 383", len(ms))
	}
	domains := map[string]int{}
	for i := range ms {
		if err := ms[i].Check(); err != nil {
			t.Errorf("manifest %d: %v", i, err)
		}
		if _, _, err := compileSchema(&ms[i]); err != nil {
			t.Errorf("%s: %v", ms[i].ID, err)
		}
		domains[ms[i].Domain]++
	}
	want := map[string]int{"general": 4, "biological": 61, "academic": 50, "medical": 97, "financial": 171}
	for d, n := range want {
		if domains[d] != n {
			t.Errorf("domain %s: %d manifests, want %d", d, domains[d], n)
		}
	}
	r := NewRegistry(DefaultOptions())
	added, err := r.AddManifests(ms)
	if err != nil {
		t.Fatal(err)
	}
	// The release lists 10 tools twice under the same id; the paper counts 373 tools.
	if added != 373 || r.Len() != 373 {
		t.Fatalf("registered %d (len %d), want 373 distinct tools", added, r.Len())
	}
	for _, tool := range r.Tools() {
		if tool.Executable() || tool.Reason() == "" {
			t.Fatalf("%s: reference manifest without executor should be listed with a reason", tool.Manifest.ID)
		}
	}
	if _, err := r.Resolve("stock_broker_recommend"); err != nil {
		t.Errorf("a name listed twice under one id should still resolve: %v", err)
	}
}

func testRegistry(t *testing.T, opts Options) (*Registry, *Tool) {
	t.Helper()
	r := NewRegistry(opts)
	m := Manifest{ID: "test.text.repeat", Name: "repeat", Domain: "test", Description: "Repeat a word.",
		Parameters: json.RawMessage(`{"type": "object", "required": ["word", "times"], "additionalProperties": false,
			"properties": {"word": {"type": "string", "minLength": 1}, "times": {"type": "integer", "minimum": 0, "maximum": 1000000},
			"mode": {"type": "string", "enum": ["plain", "panic", "error", "sleep"]}}}`)}
	exec := ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Word  string `json:"word"`
			Times int    `json:"times"`
			Mode  string `json:"mode"`
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		switch a.Mode {
		case "panic":
			panic("boom")
		case "error":
			return nil, errors.New("the word is cursed")
		case "sleep":
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return strings.Repeat(a.Word, a.Times), nil
	})
	if err := r.Register(m, exec, ""); err != nil {
		t.Fatal(err)
	}
	tool, _ := r.Get(m.ID)
	return r, tool
}

func TestCall(t *testing.T) {
	r, tool := testRegistry(t, Options{CallTimeout: 50 * time.Millisecond, MaxResultBytes: 100})
	tests := []struct {
		name      string
		args      string
		kind      ErrorKind
		output    string
		truncated bool
		contains  string
	}{
		{name: "ok", args: `{"word": "ab", "times": 3}`, output: "ababab"},
		{name: "not json", args: `{"word": `, kind: ErrInvalidArguments, contains: "not valid JSON"},
		{name: "not an object", args: `[1, 2]`, kind: ErrInvalidArguments, contains: "must be a JSON object"},
		{name: "missing field", args: `{"word": "a"}`, kind: ErrInvalidArguments, contains: "times"},
		{name: "wrong type", args: `{"word": "a", "times": "3"}`, kind: ErrInvalidArguments, contains: "/times"},
		{name: "extra field", args: `{"word": "a", "times": 1, "color": "red"}`, kind: ErrInvalidArguments, contains: "color"},
		{name: "enum", args: `{"word": "a", "times": 1, "mode": "loud"}`, kind: ErrInvalidArguments, contains: "/mode"},
		{name: "tool error", args: `{"word": "a", "times": 1, "mode": "error"}`, kind: ErrToolFailed, contains: "cursed"},
		{name: "panic", args: `{"word": "a", "times": 1, "mode": "panic"}`, kind: ErrPanic, contains: "boom"},
		{name: "timeout", args: `{"word": "a", "times": 1, "mode": "sleep"}`, kind: ErrTimeout, contains: "deadline"},
		{name: "truncated", args: `{"word": "x", "times": 1000}`, truncated: true, contains: "output truncated: 900 of 1000 bytes omitted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := r.Call(context.Background(), tool, json.RawMessage(tc.args))
			if tc.kind != "" {
				if res.Err == nil || res.Err.Kind != tc.kind {
					t.Fatalf("got %+v, want error kind %s", res, tc.kind)
				}
				if !strings.Contains(res.Content(), tc.contains) {
					t.Fatalf("message %q does not say %q", res.Content(), tc.contains)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected error %v", res.Err)
			}
			if tc.output != "" && res.Output != tc.output {
				t.Fatalf("output %q, want %q", res.Output, tc.output)
			}
			if res.Truncated != tc.truncated || !strings.Contains(res.Output, tc.contains) {
				t.Fatalf("truncated=%v output=%q", res.Truncated, res.Output)
			}
			if tc.truncated && (!strings.HasPrefix(res.Output, "xxxx") || !strings.HasSuffix(res.Output, "xxxx") || res.OriginalBytes != 1000) {
				t.Fatalf("truncation should keep head and tail: %q", res.Output)
			}
		})
	}
}

func TestRegisterRejectsBadManifests(t *testing.T) {
	r := NewRegistry(DefaultOptions())
	ok := ExecutorFunc(func(context.Context, json.RawMessage) (any, error) { return "", nil })
	cases := []Manifest{
		{ID: "", Name: "x", Parameters: json.RawMessage(`{"type":"object"}`)},
		{ID: "a.b.c", Name: "has space", Parameters: json.RawMessage(`{"type":"object"}`)},
		{ID: "a.b.c", Name: "c"},
		{ID: "a.b.c", Name: "c", Parameters: json.RawMessage(`{"type": 12}`)},
	}
	for _, m := range cases {
		if err := r.Register(m, ok, ""); err == nil {
			t.Errorf("registered bad manifest %+v", m)
		}
	}
	good := Manifest{ID: "a.b.c", Name: "c", Parameters: json.RawMessage(`{"type":"object"}`)}
	if err := r.Register(good, ok, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(good, ok, ""); err == nil {
		t.Error("registered a duplicate id")
	}
	if err := r.Register(Manifest{ID: "a.b.d", Name: "d", Parameters: json.RawMessage(`{"type":"object"}`)}, nil, ""); err == nil {
		t.Error("registered a tool with no executor and no reason")
	}
}

func TestResolve(t *testing.T) {
	r := NewRegistry(DefaultOptions())
	ok := ExecutorFunc(func(context.Context, json.RawMessage) (any, error) { return "", nil })
	for _, id := range []string{"x.one.same", "y.two.same", "x.one.unique"} {
		m := Manifest{ID: id, Name: id[strings.LastIndex(id, ".")+1:], Parameters: json.RawMessage(`{"type":"object"}`)}
		if err := r.Register(m, ok, ""); err != nil {
			t.Fatal(err)
		}
	}
	if tool, err := r.Resolve("unique"); err != nil || tool.Manifest.ID != "x.one.unique" {
		t.Fatalf("resolve by name: %v %v", tool, err)
	}
	if tool, err := r.Resolve("y.two.same"); err != nil || tool.Manifest.ID != "y.two.same" {
		t.Fatalf("resolve by id: %v %v", tool, err)
	}
	if _, err := r.Resolve("same"); err == nil || !strings.Contains(err.Error(), "x.one.same, y.two.same") {
		t.Fatalf("ambiguous name: %v", err)
	}
	if _, err := r.Resolve("nothing"); err == nil {
		t.Fatal("unknown tool resolved")
	}
}

func TestParseManifestLayouts(t *testing.T) {
	one := `{"id": "a.b.c", "name": "c", "parameters": {"type": "object"}}`
	for name, doc := range map[string]string{
		"single": one, "array": "[" + one + "]", "grouped": `{"b": [` + one + `]}`,
	} {
		ms, err := ParseManifests([]byte(doc))
		if err != nil || len(ms) != 1 || ms[0].ID != "a.b.c" || ms[0].Group() != "b" {
			t.Errorf("%s: %v %+v", name, err, ms)
		}
	}
	for _, bad := range []string{"", "12", `{"b": 3}`, `[1]`} {
		if _, err := ParseManifests([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestInlineExecutor(t *testing.T) {
	r := NewRegistry(DefaultOptions())
	m := Manifest{ID: "t.t.inline", Name: "inline", Parameters: json.RawMessage(`{"type":"object","properties":{"boom":{"type":"boolean"}}}`)}
	exec := InlineFunc(func(_ context.Context, args json.RawMessage) (any, error) {
		if strings.Contains(string(args), "true") {
			panic("inline boom")
		}
		return map[string]int{"ok": 1}, nil
	})
	if err := r.Register(m, exec, ""); err != nil {
		t.Fatal(err)
	}
	tool, _ := r.Get(m.ID)
	if res := r.Call(context.Background(), tool, json.RawMessage(`{}`)); res.Err != nil || res.Output != `{"ok":1}` {
		t.Fatalf("inline call: %+v", res)
	}
	if res := r.Call(context.Background(), tool, json.RawMessage(`{"boom": true}`)); res.Err == nil || res.Err.Kind != ErrPanic {
		t.Fatalf("inline panic: %+v", res)
	}
}

func TestCompareParameters(t *testing.T) {
	m := func(params string) Manifest { return Manifest{Parameters: json.RawMessage(params)} }
	ref := m(`{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}, "b": {"type": "integer", "minimum": 1}}}`)
	for _, tc := range []struct {
		ours  string
		diffs int
	}{
		{`{"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "maxLength": 9}, "b": {"type": "integer"}}}`, 0},
		{`{"type": "object", "required": [], "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}`, 1},
		{`{"type": "object", "required": ["a"], "properties": {"a": {"type": "number"}, "c": {"type": "integer"}}}`, 3},
	} {
		if d := CompareParameters(m(tc.ours), ref); len(d) != tc.diffs {
			t.Errorf("%s: %v, want %d differences", tc.ours, d, tc.diffs)
		}
	}
}

func TestRegisterGroup(t *testing.T) {
	ms := []Manifest{
		{ID: "g.x.first", Name: "first", Parameters: json.RawMessage(`{"type":"object"}`)},
		{ID: "g.x.second", Name: "second", Parameters: json.RawMessage(`{"type":"object"}`)},
	}
	opened := 0
	open := func() (string, error) { opened++; return "resource", nil }
	call := func(_ context.Context, res, tool string, _ json.RawMessage) (any, error) {
		return res + ":" + tool, nil
	}
	r := NewRegistry(DefaultOptions())
	if err := RegisterGroup(r, ms, "", open, call); err != nil {
		t.Fatal(err)
	}
	if opened != 0 {
		t.Fatal("opened before the first call")
	}
	for _, id := range []string{"g.x.first", "g.x.second", "g.x.first"} {
		tool, _ := r.Get(id)
		if res := r.Call(context.Background(), tool, json.RawMessage(`{}`)); res.Output != "resource:"+tool.Manifest.Name {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	if opened != 1 {
		t.Fatalf("opened %d times", opened)
	}
	off := NewRegistry(DefaultOptions())
	if err := RegisterGroup(off, ms, "needs data", open, call); err != nil {
		t.Fatal(err)
	}
	if tool, _ := off.Get("g.x.first"); tool.Executable() || tool.Reason() != "needs data" {
		t.Fatalf("unavailable group: %v %q", tool.Executable(), tool.Reason())
	}
}
