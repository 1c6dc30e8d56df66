package env

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

var update = flag.Bool("update", false, "rewrite golden files and the examples in docs/protocol.md")

// goldenExchanges is the scripted session whose frames are the examples of
// docs/protocol.md. Each entry is one request frame (JSON).
var goldenExchanges = []struct {
	name    string
	request string
}{
	{"hello", `{"id": 1, "op": "hello"}`},
	{"tasks-list", `{"id": 2, "op": "tasks.list", "params": {"domain": "general"}}`},
	{"tasks-sample", `{"id": 3, "op": "tasks.sample", "params": {"n": 2, "seed": 42}}`},
	{"reset", `{"id": 4, "op": "reset", "params": {"task_id": "example-1", "options": {"max_turns": 8}}}`},
	{"step-openai", `{"id": 5, "op": "step", "params": {"episode": "ep-00000000-1", "message": {"role": "assistant", "content": "", "tool_calls": [
		{"id": "call_a", "type": "function", "function": {"name": "bio_seq_reverse_complement", "arguments": "{\"sequence\": \"ATGCGT\"}"}},
		{"id": "call_b", "type": "function", "function": {"name": "calculator", "arguments": {"expression": "17 * 23"}}},
		{"id": "call_c", "type": "function", "function": {"name": "web_search", "arguments": "{\"query\": \"ATGCGT\"}"}},
		{"id": "call_d", "type": "function", "function": {"name": "bio_seq_reverse_complement", "arguments": "{\"sequence\": \"ATGXYZ\"}"}}]}}}`},
	{"step-answer", `{"id": 6, "op": "step", "params": {"episode": "ep-00000000-1", "message": {"role": "assistant", "content": "<answer>ACGCAT; 391</answer>"}}}`},
	{"reset-hermes", `{"id": 7, "op": "reset", "params": {"task_id": "example-2", "options": {"tool_call_format": "hermes"}}}`},
	{"step-hermes", `{"id": 8, "op": "step", "params": {"episode": "ep-00000000-2", "text": "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2^20\"}}\n</tool_call>"}}`},
	{"state", `{"id": 9, "op": "state", "params": {"episode": "ep-00000000-2"}}`},
	{"close", `{"id": 10, "op": "close", "params": {"episode": "ep-00000000-2"}}`},
	{"batch", `{"id": 11, "op": "batch", "params": {"requests": [
		{"id": "r1", "op": "reset", "params": {"task_id": "example-2", "options": {"system_prompt": ""}}},
		{"id": "r2", "op": "step", "params": {"episode": "ep-00000000-1", "text": "again"}}]}}`},
	{"error-unknown-op", `{"id": 12, "op": "frobnicate"}`},
	{"error-bad-frame", `{"id": 13, "op": "reset", "params": `},
	{"toolsets", `{"id": 14, "op": "toolsets.get", "params": {"task_ids": ["example-1", "example-2"]}}`},
}

var (
	episodeIDPattern = regexp.MustCompile(`ep-[0-9a-f]{8}-`)
	durationPattern  = regexp.MustCompile(`"duration_ms":[0-9.e+-]+`)
	sessionPattern   = regexp.MustCompile(`"session":"[0-9a-f]{32}"`)
)

func normalizeFrame(b []byte) []byte {
	b = episodeIDPattern.ReplaceAll(b, []byte("ep-00000000-"))
	b = sessionPattern.ReplaceAll(b, []byte(`"session":"5e55105e55105e55105e55105e55105e"`))
	return durationPattern.ReplaceAll(b, []byte(`"duration_ms":0`))
}

func goldenEngine(t *testing.T) *Engine {
	t.Helper()
	reg, err := defaults.Registry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts, problems, err := tasks.ReadFile("testdata/golden_tasks.jsonl")
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	eng.idPrefix = "ep-00000000-"
	return eng
}

// TestProtocolGolden replays the scripted session and compares every reply
// with testdata/golden, and checks that docs/protocol.md shows each exchange
// as it is. Run with -update to rewrite both.
func TestProtocolGolden(t *testing.T) {
	srv := NewServer(goldenEngine(t), DefaultServerConfig(), quietLogger())
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+EndpointPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	docPath := filepath.Join("..", "docs", "protocol.md")
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range goldenExchanges {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(ex.request)); err != nil {
			t.Fatal(err)
		}
		_, reply, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var req, resp bytes.Buffer
		if err := json.Indent(&req, []byte(ex.request), "", "  "); err != nil {
			req.Reset()
			req.WriteString(ex.request)
		}
		if err := json.Indent(&resp, normalizeFrame(reply), "", "  "); err != nil {
			t.Fatalf("%s: reply is not JSON: %v", ex.name, err)
		}
		got := fmt.Sprintf("// request\n%s\n// reply\n%s\n", req.String(), resp.String())
		path := filepath.Join("testdata", "golden", ex.name+".jsonc")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			doc = replaceDocExample(t, doc, ex.name, got)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./env -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: reply differs from %s:\n%s", ex.name, path, got)
		}
		if !bytes.Contains(doc, []byte("<!-- golden:"+ex.name+" -->\n```jsonc\n"+got+"```")) {
			t.Errorf("docs/protocol.md does not show the current %s example (run go test ./env -run Golden -update)", ex.name)
		}
	}
	if *update {
		if err := os.WriteFile(docPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func replaceDocExample(t *testing.T, doc []byte, name, body string) []byte {
	re := regexp.MustCompile("(?s)<!-- golden:" + regexp.QuoteMeta(name) + " -->\n```jsonc\n.*?```")
	if !re.Match(doc) {
		t.Errorf("docs/protocol.md has no <!-- golden:%s --> block", name)
		return doc
	}
	return re.ReplaceAllLiteral(doc, []byte("<!-- golden:"+name+" -->\n```jsonc\n"+body+"```"))
}
