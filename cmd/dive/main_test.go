package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec/sandbox"
)

// runAsDive is set in the environment of this test binary's children: a
// child started as this binary (dive bench's load generator) runs dive's
// main instead of the tests.
const runAsDive = "DIVE_TEST_BINARY_RUNS_DIVE"

func TestMain(m *testing.M) {
	if os.Getenv(runAsDive) == "1" {
		main()
		os.Exit(0)
	}
	os.Setenv(runAsDive, "1")
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "dive ") || !strings.Contains(out, "dive.v1") {
		t.Fatalf("version: %q %v", out, err)
	}
	out, _, err = runCLI(t, "help")
	if err != nil || !strings.Contains(out, "dive serve") {
		t.Fatalf("help: %q %v", out, err)
	}
	var ue *usageError
	for _, args := range [][]string{{}, {"frobnicate"}, {"tasks"}, {"tools", "juggle"}, {"tasks", "show"}, {"serve", "extra"},
		{"serve", "--max-consecutive-invalid-tool-calls", "-1"}} {
		if _, _, err := runCLI(t, args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestToolsList(t *testing.T) {
	out, _, err := runCLI(t, "tools", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []toolRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 304 {
		t.Fatalf("%d tools listed, want 104 built-in, code_execution, 2 GNU units, 3 WordNet, 2 GCIDE, 4 market history, 6 miscfiles, 27 open-data, 4 stdnum-registry, "+
			"3 offline-web (search, parallel_search, browse), 2 journal "+
			"and 146 web-API tools (NCBI, arXiv, Crossref, OpenAlex, Semantic Scholar, RxNav, Clinical Tables; offline)", len(rows))
	}
	// Tools over data that scripts/setup-data installs run where it is
	// installed and otherwise say why not; dataRuns counts those that run.
	dataBacked := []string{"general.units.", "general.wordnet.", "general.dictionary.", "financial.market_history.",
		"general.geography.", "financial.currency.", "biological.penguins.", "biological.habitat.", "biological.crop_trials.",
		"medical.antibiotics.", "medical.epidemiology.", "financial.labor.", "financial.household_income.", "financial.public_finance.",
		"general.energy.", "general.climate.", "general.weather.", "general.geoscience.", "general.history.", "general.demographics.",
		"general.automobiles.", "academic.identifiers.isbn_validate", "financial.identifiers.iban_validate", "financial.identifiers.cfi_decode",
		"general.telecom.", "general.search.", "general.browse.", "academic.journals."}
	sandboxRuns, dataRuns := false, map[string]int{}
	for _, r := range rows {
		if slices.ContainsFunc(dataBacked, func(p string) bool { return strings.HasPrefix(r.ID, p) }) {
			if r.Executable {
				dataRuns[r.Domain]++
			} else if r.Reason == "" {
				t.Fatalf("data-backed row without a reason: %+v", r)
			}
			continue
		}
		if r.ID == sandbox.ToolID {
			// Runs where the machine can isolate it; otherwise listed with the reason.
			sandboxRuns = r.Executable
			if (r.Executable && r.Executor != "sandbox") || (!r.Executable && !strings.Contains(r.Reason, "sandbox unavailable")) {
				t.Fatalf("code_execution row %+v", r)
			}
			continue
		}
		if strings.HasPrefix(r.Reason, "needs network access") {
			if r.Executable || !strings.Contains(r.Reason, "--online") {
				t.Fatalf("offline web-API tool %+v", r)
			}
			continue
		}
		if r.ID == "" || r.Name == "" || r.Domain == "" || r.Executor != "builtin" || !r.Executable || r.Reason != "" {
			t.Fatalf("row %+v", r)
		}
	}
	out, _, err = runCLI(t, "tools", "list", "--domain", "general")
	if err != nil || !strings.Contains(out, "calculator") || strings.Contains(out, "bio_seq") || !strings.Contains(out, "48 tool(s)") {
		t.Fatalf("tools list --domain general: %q %v", out, err)
	}

	ref := filepath.Join("..", "..", "..", "shared", "dive-reference", "tools")
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("DIVE reference manifests not found at %s (../shared is absent)", ref)
	}
	out, _, err = runCLI(t, "tools", "list", "--manifests", ref, "--json")
	if err != nil {
		t.Fatal(err)
	}
	rows = nil
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	perDomain := map[string][2]int{}
	for _, r := range rows {
		c := perDomain[r.Domain]
		c[0]++
		if r.Executable {
			c[1]++
		} else if r.Reason == "" {
			t.Fatalf("%s cannot run and gives no reason", r.ID)
		}
		perDomain[r.Domain] = c
	}
	// 373 reference tools + 98 of our own (calculator, statistics and tests, dates and calendars, market history, geography and currency
	// tables, open statistical datasets, identifier validators and registries, financial maths, clinical calculators, text and bibliometrics); 104 built-ins run here, and code_execution where it can be isolated.
	generalRuns := 17 + dataRuns["general"]
	if sandboxRuns {
		generalRuns++
	}
	want := map[string][2]int{"general": {48, generalRuns}, "biological": {64, 47 + dataRuns["biological"]}, "academic": {60, 7 + dataRuns["academic"]}, "medical": {109, 15 + dataRuns["medical"]}, "financial": {199, 18 + dataRuns["financial"]}}
	total := 0
	for d, w := range want {
		total += w[0]
		if perDomain[d] != w {
			t.Errorf("domain %s: %v (listed, executable), want %v", d, perDomain[d], w)
		}
	}
	if len(rows) != total {
		t.Errorf("%d tools listed, want %d", len(rows), total)
	}
}

func TestToolsCall(t *testing.T) {
	out, _, err := runCLI(t, "tools", "call", "calculator", `{"expression": "6*7"}`)
	if err != nil || !strings.Contains(out, `"result": 42`) {
		t.Fatalf("call: %q %v", out, err)
	}
	out, _, err = runCLI(t, "tools", "call", "biological.bio_seq.bio_seq_translate", `{"sequence": "ATGGCCTAA", "to_stop": true}`)
	if err != nil || !strings.Contains(out, `"protein": "MA"`) {
		t.Fatalf("call by id: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "tools", "call", "calculator", `{"expr": "1"}`); err == nil || !strings.Contains(err.Error(), "invalid_arguments") {
		t.Fatalf("bad arguments: %v", err)
	}
	if _, _, err := runCLI(t, "tools", "call", "nope"); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Fatalf("unknown tool: %v", err)
	}
}

// TestToolStore records a call with `dive tools call` and replays it.
func TestToolStore(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runCLI(t, "tools", "call", "calculator", `{"expression": "6*7"}`, "--tool-store", dir, "--tool-store-mode", "record")
	if err != nil || !strings.Contains(out, "42") {
		t.Fatalf("record: %q %v", out, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "general.math.calculator", "*.json"))
	if len(files) != 1 {
		t.Fatalf("%d recordings", len(files))
	}
	// Prove the replay comes from the file: change the recorded output.
	data, _ := os.ReadFile(files[0])
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["output"] = `{"expression":"6*7","result":"from the store"}`
	data, _ = json.Marshal(rec)
	if err := os.WriteFile(files[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "tools", "call", "calculator", `{"expression": "6*7"}`, "--tool-store", dir, "--tool-store-mode", "replay")
	if err != nil || !strings.Contains(out, "from the store") {
		t.Fatalf("replay: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "tools", "call", "calculator", `{"expression": "1+1"}`, "--tool-store", dir, "--tool-store-mode", "replay"); err == nil || !strings.Contains(err.Error(), "replay_miss") {
		t.Fatalf("replay miss: %v", err)
	}
	var ue *usageError
	if _, _, err := runCLI(t, "tools", "call", "calculator", `{}`, "--tool-store-mode", "replay"); !errors.As(err, &ue) {
		t.Fatalf("replay without a store: %v", err)
	}
}

// TestMCPTools lists and calls the tools of an MCP server given with --mcp.
func TestMCPTools(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "shout", Description: "Upper-case a word."}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		Word string `json:"word"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.ToUpper(in.Word)}}}, nil, nil
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "mcp.json")
	if err := os.WriteFile(cfg, []byte(`{"servers": {"words": {"url": "`+srv.URL+`", "domain": "academic"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "tools", "list", "--mcp", cfg, "--domain", "academic", "--json")
	if err != nil || !strings.Contains(out, `"id": "mcp.words.shout"`) || !strings.Contains(out, `"executor": "mcp"`) {
		t.Fatalf("list: %q %v", out, err)
	}
	out, _, err = runCLI(t, "tools", "call", "words__shout", `{"word": "dive"}`, "--mcp", cfg)
	if err != nil || strings.TrimSpace(out) != "DIVE" {
		t.Fatalf("call: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "tools", "list", "--mcp", filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Fatal("a missing MCP file was accepted")
	}
}

func TestTasksCommands(t *testing.T) {
	out, _, err := runCLI(t, "tasks", "list", "--json", "--split", "test")
	if err != nil {
		t.Fatal(err)
	}
	var sums []map[string]any
	if err := json.Unmarshal([]byte(out), &sums); err != nil {
		t.Fatal(err)
	}
	if len(sums) == 0 || len(sums) >= 60 {
		t.Fatalf("%d test tasks", len(sums))
	}
	for _, s := range sums {
		if s["split"] != "test" || s["ground_truth"] != nil {
			t.Fatalf("summary %v", s)
		}
	}
	out, _, err = runCLI(t, "tasks", "show", "dive-default-translate-1")
	if err != nil || !strings.Contains(out, "ground truth:") || !strings.Contains(out, "bio_seq_translate") {
		t.Fatalf("show: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "tasks", "show", "nope"); err == nil {
		t.Fatal("show of a missing task succeeded")
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "defaults.jsonl")
	if err := os.WriteFile(good, defaults.TasksJSONL, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "tasks", "validate", good)
	if err != nil || !strings.Contains(out, "140 task(s) in 1 file(s): 0 error(s), 0 warning(s)") {
		t.Fatalf("validate good: %q %v", out, err)
	}
	out, _, err = runCLI(t, "tasks", "validate", "testdata/bad_tasks.jsonl")
	if err == nil {
		t.Fatal("validate accepted a bad file")
	}
	for _, want := range []string{"bad_tasks.jsonl:2: error: task fine: duplicate uuid", `bad_tasks.jsonl:3: error: task ghost: tool "web_search": unknown tool`, "2 error(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runCLI(t, "tasks", "validate", "--json", "testdata/bad_tasks.jsonl")
	var problems []map[string]any
	if err := json.Unmarshal([]byte(out), &problems); err != nil || len(problems) != 2 {
		t.Fatalf("validate --json: %q %v", out, err)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the server and read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe starts `dive serve` with no configuration but a free port, plays
// one episode, then stops it the way SIGTERM does.
// startServe runs `dive serve` with args on a free loopback port and returns
// its address and a stop function that checks it stopped cleanly.
func startServe(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, &logs)
	}()
	addrRE := regexp.MustCompile(`url=ws://([0-9.:]+)/v1/env`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start: %s", logs.String())
		}
	}
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
		}
		if !strings.Contains(logs.String(), "dive stopped cleanly") {
			t.Fatalf("logs: %s", logs.String())
		}
	}
}

func TestServe(t *testing.T) {
	addr, stop := startServe(t, "--max-consecutive-invalid-tool-calls", "3")
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "tasks loaded:   140") || !strings.Contains(string(page), "ORS:") {
		t.Fatalf("status page: %s", page)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/env", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"id": 1, "op": "reset", "params": map[string]any{"task_id": "dive-default-compound_interest-1"}}); err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	if err := ws.ReadJSON(&reply); err != nil || reply["result"] == nil {
		t.Fatalf("reset: %v %v", reply, err)
	}
	if limits := reply["result"].(map[string]any)["limits"].(map[string]any); limits["max_consecutive_invalid_tool_calls"] != 3.0 {
		t.Fatalf("reset limits %v: --max-consecutive-invalid-tool-calls 3 not in force", limits)
	}
	// Prometheus metrics, in the text exposition format.
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`dive_episodes_started_total{dive_task_domain="financial"} 1`, "dive_episodes_open 1", "dive_connections 1", "dive_sessions_awaiting_resume 0"} {
		if !strings.Contains(string(metrics), want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	// The ORS facade on the same address: a session on a default task, one
	// tool call, its result as an SSE end event.
	post := func(path, sid, body string) string {
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		if sid != "" {
			req.Header.Set("X-Session-ID", sid)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	sid := strings.TrimSpace(strings.SplitN(strings.SplitN(post("/create_session", "", "{}"), "data: ", 2)[1], "\n", 2)[0])
	post("/create", sid, `{"env_name": "dive", "task_spec": {"task_id": "dive-default-compound_interest-1"}}`)
	if out := post("/dive/call", sid, `{"name": "calculator", "input": {"expression": "17 * 23"}}`); !strings.Contains(out, "event: end") || !strings.Contains(out, "391") {
		t.Fatalf("ORS call: %s", out)
	}
	stop()
}

func TestServeRefusesBadTasks(t *testing.T) {
	_, stderr, err := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--tasks", "testdata/bad_tasks.jsonl")
	if err == nil || !strings.Contains(stderr, "duplicate uuid") {
		t.Fatalf("serve with bad tasks: %v, %q", err, stderr)
	}
}

// TestServeAccessFlags: off loopback a token is required; token files and
// TLS flags are checked before anything starts.
func TestServeAccessFlags(t *testing.T) {
	t.Setenv("DIVE_TOKEN", "")
	empty := filepath.Join(t.TempDir(), "empty-token")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "set a bearer token"},
		{[]string{"--addr", "[::]:0"}, "set a bearer token"},
		{[]string{"--addr", "127.0.0.1:0", "--token-file", empty}, "is empty"},
		{[]string{"--addr", "127.0.0.1:0", "--token-file", "/nonexistent/token"}, "token file"},
		{[]string{"--addr", "127.0.0.1:0", "--tls-cert", "c.pem"}, "go together"},
	} {
		_, stderr, err := runCLI(t, append([]string{"serve"}, c.args...)...)
		if err == nil || !strings.Contains(stderr+err.Error(), c.want) {
			t.Errorf("serve %v: %v, %q (want %q)", c.args, err, stderr, c.want)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "0.0.0.0:1": false, ":1": false, "10.0.0.1:1": false} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}
}

func TestScoreCommand(t *testing.T) {
	out, _, err := runCLI(t, "score", "testdata/score.jsonl", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var sum scoreSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	// Line 7 is labelled correct by a lenient grader; the scorer calls the
	// hedge "Paris or Lyon" incorrect. Line 8 is a paraphrase the rules leave
	// undecided (score 0): it counts against agreement and coverage.
	if sum.N != 7 || sum.Labelled != 7 || sum.Accuracy == nil || math.Abs(*sum.Accuracy-5.0/7) > 1e-9 ||
		math.Abs(*sum.Coverage-6.0/7) > 1e-9 || math.Abs(*sum.DecidedAccuracy-5.0/6) > 1e-9 ||
		sum.Labels["correct"] != 3 || sum.Labels["partial"] != 1 || sum.Labels["incorrect"] != 2 || sum.Labels["undecided"] != 1 ||
		sum.Results[4].Line != 6 || sum.Results[6].Score != 0 || sum.DecidedBy["rule"] != 7 {
		t.Fatalf("summary %+v", sum)
	}
	if c := sum.ByCategory["text"]; c == nil || c.Labelled != 1 || c.Decided != 0 {
		t.Fatalf("by category: %+v", sum.ByCategory)
	}
	out, _, err = runCLI(t, "score", "testdata/score.jsonl")
	if err != nil || !strings.Contains(out, "agreement with the 7 given labels: 0.7143; coverage 0.8571; agreement on the 6 decided: 0.8333") {
		t.Fatalf("table: %q %v", out, err)
	}
	// Partial credit by --label-rewards: line 4 is partial.
	out, _, err = runCLI(t, "score", "testdata/score.jsonl", "--json", "--label-rewards", "partial=0.5")
	if err != nil || json.Unmarshal([]byte(out), &sum) != nil || sum.Results[3].Label != "partial" || sum.Results[3].Score != 0.5 || sum.Results[0].Score != 1 {
		t.Fatalf("--label-rewards: %v %+v", err, sum.Results)
	}
	if _, _, err := runCLI(t, "score", "testdata/score.jsonl", "--label-rewards", "partial=2"); err == nil {
		t.Fatal("--label-rewards partial=2 accepted")
	}
	out, _, err = runCLI(t, "score", "testdata/score.jsonl", "--scorer", "exact", "--json")
	if err != nil || !strings.Contains(out, `"scorer": "exact"`) {
		t.Fatalf("--scorer exact: %v", err)
	}
	// Only <answer> tags: line 2 (untagged) has no answer.
	out, _, err = runCLI(t, "score", "testdata/score.jsonl", "--answer-extraction", "answer_tag", "--json")
	if err != nil || json.Unmarshal([]byte(out), &sum) != nil || sum.Results[1].Label != "incorrect" || sum.Results[1].Explanation != "no answer found in the response" {
		t.Fatalf("strict extraction: %v %+v", err, sum.Results)
	}
	dir := t.TempDir()
	for _, bad := range []struct{ content, want string }{
		{"\n" + `{"ground_truth": "1", "response": "1", "label": "right"}`, `:2: label "right"`},
		{`{"question": "q", "response": "1"}`, ":1: ground_truth is missing"},
		{`not json`, ":1: invalid character"},
	} {
		path := filepath.Join(dir, "bad.jsonl")
		os.WriteFile(path, []byte(bad.content), 0o644)
		if _, _, err := runCLI(t, "score", path); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.content, err, bad.want)
		}
	}
	var ue *usageError
	if _, _, err := runCLI(t, "score", "testdata/score.jsonl", "--scorer", "oracle"); !errors.As(err, &ue) {
		t.Errorf("unknown scorer: %v", err)
	}
	if _, _, err := runCLI(t, "score"); !errors.As(err, &ue) {
		t.Errorf("no file: %v", err)
	}
}

// dive score with an LLM judge on loopback: only the answer the matcher
// cannot decide goes to the judge, and a second run is served from the cache.
func TestScoreWithJudge(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error": {"message": "bad request"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": "c", "object": "chat.completion", "created": 1, "model": "judge-1", "choices": [{"index": 0,
			"message": {"role": "assistant", "content": "JUDGEMENT: correct\nEXPLANATION: The same treaty, named by its place and year."},
			"finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}`)
	}))
	defer srv.Close()
	t.Setenv("DIVE_JUDGE_API_KEY", "k")
	cache := t.TempDir()
	for run := 1; run <= 2; run++ {
		out, _, err := runCLI(t, "score", "testdata/score.jsonl", "--json", "--judge-url", srv.URL+"/v1", "--judge-model", "judge-1", "--judge-cache", cache)
		if err != nil {
			t.Fatal(err)
		}
		var sum scoreSummary
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		last := sum.Results[len(sum.Results)-1]
		by := map[int]string{1: "judge", 2: "judge_cache"}[run]
		if sum.Scorer != "match+judge" || last.Label != "correct" || last.DecidedBy != by || !strings.Contains(last.Explanation, "same treaty") ||
			requests.Load() != 1 || sum.Results[5].Label != "incorrect" || sum.Results[5].DecidedBy != "rule" {
			t.Fatalf("run %d: scorer %s, last %+v, %d requests", run, sum.Scorer, last, requests.Load())
		}
	}
	var ue *usageError
	if _, _, err := runCLI(t, "score", "testdata/score.jsonl", "--judge-url", srv.URL); !errors.As(err, &ue) {
		t.Fatalf("a judge without a model: %v", err)
	}
}

func TestSynthCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tasks.jsonl")
	out, _, err := runCLI(t, "synth", "--count", "40", "--out", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		File  string `json:"file"`
		Stats struct {
			Made      int            `json:"made"`
			PerDomain map[string]int `json:"per_domain"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Stats.Made != 40 || len(res.Stats.PerDomain) != 5 {
		t.Fatalf("synth: %v %s", err, out)
	}
	// The file is a task set that validates against the tool pool and lists.
	out, _, err = runCLI(t, "tasks", "validate", path)
	if err != nil || !strings.Contains(out, "40 task(s) in 1 file(s): 0 error(s)") {
		t.Fatalf("validate: %q %v", out, err)
	}
	var ue *usageError
	for _, bad := range [][]string{{"synth", "--out", path, "--generator", "llm"}, {"synth", "--count", "5"}, {"synth", "--out", path, "--count", "0"},
		{"synth", "--out", path, "--min-tools", "20", "--max-tools", "10"}} {
		if _, _, err := runCLI(t, bad...); !errors.As(err, &ue) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestReportCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	out, _, err := runCLI(t, "report", "--out", path)
	if err != nil || !strings.Contains(out, "140 tasks, 5 domains") || !strings.Contains(out, "7 plots") {
		t.Fatalf("report: %q %v", out, err)
	}
	page, err := os.ReadFile(path)
	if err != nil || strings.Count(string(page), `<svg class="plot"`) != 7 {
		t.Fatalf("report page: %v", err)
	}
	var ue *usageError
	if _, _, err := runCLI(t, "report"); !errors.As(err, &ue) {
		t.Fatalf("no --out: %v", err)
	}
}

// dive synth --generator llm against a loopback OpenAI-compatible model that
// calls the calculator: tasks are appended, and a second run resumes.
func TestSynthLLMCommand(t *testing.T) {
	srv := httptest.NewServer(fakeGenerator())
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "llm.jsonl")
	args := []string{"synth", "--generator", "llm", "--llm-url", srv.URL + "/v1", "--llm-model", "m", "--domain", "general",
		"--count", "3", "--rounds", "1", "--min-tools", "50", "--max-tools", "50", "--out", path}
	out, _, err := runCLI(t, args...)
	if err != nil || !strings.Contains(out, "made 3, failed 0, already done 0") {
		t.Fatalf("first run: %q %v", out, err)
	}
	out, _, err = runCLI(t, args...)
	if err != nil || !strings.Contains(out, "made 0, failed 0, already done 3") {
		t.Fatalf("resumed run: %q %v", out, err)
	}
	out, _, err = runCLI(t, "tasks", "validate", path)
	if err != nil || !strings.Contains(out, "3 task(s) in 1 file(s): 0 error(s)") {
		t.Fatalf("validate: %q %v", out, err)
	}
}

// solve → verify → filter with a loopback teacher that computes 17 × 23.
func TestSolveVerifyFilter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []map[string]any `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		message := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": "c1", "type": "function",
			"function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}}}
		if req.Messages[len(req.Messages)-1]["role"] == "tool" {
			message = map[string]any{"role": "assistant", "content": "<answer>391</answer>"}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "teacher",
			"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": "stop"}}, "usage": map[string]any{"total_tokens": 3}})
	}))
	defer srv.Close()
	dir := t.TempDir()
	taskFile := filepath.Join(dir, "tasks.jsonl")
	os.WriteFile(taskFile, []byte(`{"uuid": "right", "question": "What is 17 times 23?", "ground_truth": "391", "tools": ["calculator"]}
{"uuid": "wrong", "question": "What is 17 times 23 plus 9?", "ground_truth": "400", "tools": ["calculator"]}
`), 0o644)
	traj := filepath.Join(dir, "traj.jsonl")
	solve := []string{"solve", taskFile, "--llm-url", srv.URL + "/v1", "--llm-model", "teacher", "--k", "2", "--out", traj}
	out, _, err := runCLI(t, solve...)
	if err != nil || !strings.Contains(out, "4 rollouts (2 correct), 0 failed") {
		t.Fatalf("solve: %q %v", out, err)
	}
	out, _, err = runCLI(t, solve...) // resumes: nothing left to do
	if err != nil || !strings.Contains(out, "0 rollouts") {
		t.Fatalf("resumed solve: %q %v", out, err)
	}
	scored := filepath.Join(dir, "scored.jsonl")
	out, _, err = runCLI(t, "verify", traj, "--out", scored, "--scorer", "exact")
	if err != nil || !strings.Contains(out, "4 trajectories rescored, 0 labels changed") {
		t.Fatalf("verify: %q %v", out, err)
	}
	rl, sft := filepath.Join(dir, "rl.jsonl"), filepath.Join(dir, "sft.jsonl")
	out, _, err = runCLI(t, "filter", scored, "--tasks", taskFile, "--k", "2", "--rl-out", rl, "--sft-out", sft)
	if err != nil || !strings.Contains(out, "0 of 2 tasks have a pass rate") || !strings.Contains(out, "2 correct of 4 trajectories") {
		t.Fatalf("filter: %q %v", out, err)
	}
	data, _ := os.ReadFile(sft)
	if strings.Count(string(data), "\n") != 2 || !strings.Contains(string(data), `"tool_calls"`) {
		t.Fatalf("SFT file: %s", data)
	}
	var ue *usageError
	if _, _, err := runCLI(t, "solve", taskFile, "--out", traj); !errors.As(err, &ue) {
		t.Fatalf("solve without a model: %v", err)
	}
}

// fakeGenerator is a loopback OpenAI-compatible model for the LLM
// generator: with tools it calls the calculator, then summarizes; without
// (derivation) it writes the question and answer.
func fakeGenerator() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []map[string]any `json:"messages"`
			Tools    []any            `json:"tools"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		last := req.Messages[len(req.Messages)-1]
		message := map[string]any{"role": "assistant", "content": `{"question": "What is 6 times 7?", "answer": "42", "reasoning": "calculator"}`}
		if len(req.Tools) > 0 && last["role"] == "user" {
			message = map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": "c1", "type": "function",
				"function": map[string]any{"name": "calculator", "arguments": `{"expression": "6 * 7"}`}}}}
		} else if len(req.Tools) > 0 {
			message = map[string]any{"role": "assistant", "content": "It is 42."}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": "stop"}}, "usage": map[string]any{"total_tokens": 3}})
	})
}

// The whole path: tasks from both generators (the LLM one against a loopback
// model with tool calls) → task files → dive serve → episodes → rewards.
func TestSynthToServe(t *testing.T) {
	dir := t.TempDir()
	offline, llm := filepath.Join(dir, "offline.jsonl"), filepath.Join(dir, "llm.jsonl")
	if _, _, err := runCLI(t, "synth", "--count", "25", "--out", offline); err != nil {
		t.Fatal(err)
	}
	model := httptest.NewServer(fakeGenerator())
	defer model.Close()
	if _, _, err := runCLI(t, "synth", "--generator", "llm", "--llm-url", model.URL+"/v1", "--llm-model", "m", "--domain", "general",
		"--count", "1", "--rounds", "1", "--min-tools", "50", "--max-tools", "50", "--out", llm); err != nil {
		t.Fatal(err)
	}
	var picked []tasks.Task
	for _, f := range []string{offline, llm} {
		ts, problems, err := tasks.ReadFile(f)
		if err != nil || len(problems) > 0 || len(ts) == 0 {
			t.Fatalf("%s: %v %v", f, err, problems)
		}
		picked = append(picked, ts[0], ts[len(ts)-1])
	}
	addr, stop := startServe(t, "--tasks", offline, "--tasks", llm, "--sandbox", "off")
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/env", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, task := range picked {
		var reply struct {
			Result map[string]any `json:"result"`
			Error  any            `json:"error"`
		}
		ws.WriteJSON(map[string]any{"id": 2 * i, "op": "reset", "params": map[string]any{"task_id": task.ID}})
		if err := ws.ReadJSON(&reply); err != nil || reply.Result == nil {
			t.Fatalf("reset %s: %v %v", task.ID, reply.Error, err)
		}
		ep := reply.Result["episode"]
		ws.WriteJSON(map[string]any{"id": 2*i + 1, "op": "step", "params": map[string]any{"episode": ep,
			"message": map[string]any{"role": "assistant", "content": "<answer>" + task.GroundTruth + "</answer>"}}})
		reply.Result = nil
		if err := ws.ReadJSON(&reply); err != nil || reply.Result == nil {
			t.Fatalf("step %s: %v %v", task.ID, reply.Error, err)
		}
		rw, _ := reply.Result["reward"].(map[string]any)
		if reply.Result["done"] != true || rw["score"] != 1.0 {
			t.Fatalf("%s: %v", task.ID, reply.Result)
		}
	}
	ws.Close()
	stop()
}

// TestServeExportsTraces: with the standard OTEL_* variables naming an OTLP
// HTTP endpoint, serve exports the spans of an episode to it (a loopback
// collector that records what arrives at /v1/traces).
func TestServeExportsTraces(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			mu.Lock()
			bodies = append(bodies, body)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	addr, stop := startServe(t)
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/env", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, req := range []map[string]any{
		{"id": 1, "op": "reset", "params": map[string]any{"task_id": "dive-default-compound_interest-1",
			"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
	} {
		if err := ws.WriteJSON(req); err != nil {
			t.Fatal(err)
		}
		var reply map[string]any
		if err := ws.ReadJSON(&reply); err != nil || reply["result"] == nil {
			t.Fatalf("request %d: %v %v", i, reply, err)
		}
		ep := reply["result"].(map[string]any)["episode"]
		if err := ws.WriteJSON(map[string]any{"id": 2, "op": "step", "params": map[string]any{"episode": ep, "text": "<answer>1</answer>"}}); err != nil {
			t.Fatal(err)
		}
		if err := ws.ReadJSON(&reply); err != nil || reply["result"] == nil {
			t.Fatalf("step: %v %v", reply, err)
		}
	}
	ws.Close()
	stop() // flushes the batch
	mu.Lock()
	defer mu.Unlock()
	all := bytes.Join(bodies, nil)
	traceID, _ := hex.DecodeString("4bf92f3577b34da6a3ce929d0e0e4736")
	for _, want := range [][]byte{[]byte("dive.episode"), []byte("dive.step"), []byte("dive.reward"), []byte("dive-default-compound_interest-1"), traceID} {
		if !bytes.Contains(all, want) {
			t.Fatalf("exported traces (%d requests, %d bytes) lack %q", len(bodies), len(all), want)
		}
	}
}

// TestBench runs `dive bench` briefly against its in-process server: steps
// happen without errors, latencies and the echo ratio are measured.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	serverProfile, loadProfile, serverTrace := filepath.Join(dir, "server.pprof"), filepath.Join(dir, "load.pprof"), filepath.Join(dir, "server.trace")
	for _, tool := range []string{"builtin", "code", "mcp", "builtin:2,mcp:1"} {
		args := []string{"bench", "--duration", "1s", "--connections", "2", "--concurrency", "4", "--tool", tool, "--json"}
		if tool == "builtin" {
			args = append(args, "--cpuprofile", serverProfile, "--load-cpuprofile", loadProfile, "--trace", serverTrace)
		}
		stdout, stderr, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("bench --tool %s: %v %s", tool, err, stderr)
		}
		var rep benchReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("bench --json: %v: %s", err, stdout)
		}
		if tool == "code" && rep.Errors > 0 && rep.Steps == 0 {
			t.Skipf("code_execution cannot run here: %v", rep.ErrorKinds)
		}
		if rep.Steps == 0 || rep.Errors != 0 || rep.StepsPerS <= 0 || rep.EchoPerS <= 0 || rep.Ratio <= 0 ||
			rep.P50ms <= 0 || rep.P99ms < rep.P50ms || rep.MaxMs < rep.P99ms || rep.RSSMB <= 0 || !rep.InProcess ||
			rep.CPUSeconds <= 0 || rep.LoadCPUS <= 0 || rep.Episodes == 0 || rep.EchoP50ms <= 0 || rep.EchoP99ms < rep.EchoP50ms {
			t.Fatalf("bench --tool %s report %+v", tool, rep)
		}
	}
	// The server's profile and execution trace from this process, the load generator's profile from the child.
	for _, f := range []string{serverProfile, loadProfile, serverTrace} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Fatalf("profile %s not written: %v", f, err)
		}
	}
	if _, _, err := runCLI(t, "bench", "--url", "ws://127.0.0.1:1/v1/env"); err == nil || !strings.Contains(err.Error(), "--task") {
		t.Fatalf("bench --url without --task: %v", err)
	}
}

// TestBenchAgainstPythonServer: the comparison server (bench/pyserver.py)
// speaks the protocol subset `dive bench --url` uses, in both encodings.
func TestBenchAgainstPythonServer(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import websockets, msgpack").Run(); err != nil {
		t.Skip("needs Debian's python3-websockets and python3-msgpack")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("/usr/bin/python3", "../../bench/pyserver.py", "--port", strconv.Itoa(port))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.Contains(line, "pyserver on") {
		t.Fatalf("pyserver did not start: %q %v", line, err)
	}
	for _, enc := range []string{"msgpack", "json"} {
		stdout, stderr, err := runCLI(t, "bench", "--url", fmt.Sprintf("ws://127.0.0.1:%d/v1/env", port), "--task", "bench-builtin",
			"--duration", "1s", "--connections", "2", "--concurrency", "2", "--encoding", enc, "--echo=false", "--json")
		if err != nil {
			t.Fatalf("%s: %v %s", enc, err, stderr)
		}
		var rep benchReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Steps == 0 || rep.Errors != 0 || rep.InProcess {
			t.Fatalf("%s: %v %+v", enc, err, rep)
		}
	}
}

// TestBenchShapes: held-open episodes are open on the server while the load
// runs; tasks are taken in turn, rollouts per task, and each episode ends
// with an answer that is scored correct (a wrong reward would be an error).
func TestBenchShapes(t *testing.T) {
	stdout, stderr, err := runCLI(t, "bench", "--duration", "1s", "--connections", "2", "--concurrency", "3", "--open", "40",
		"--tasks", "5", "--rollouts", "2", "--turns", "3", "--answer", "--echo=false", "--json")
	if err != nil {
		t.Fatalf("bench: %v %s", err, stderr)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bench --json: %v: %s", err, stdout)
	}
	if rep.Errors != 0 || rep.Episodes < 2*3+40 || rep.Steps == 0 || rep.PeakOpen < 40+2*3 || rep.Tasks != 5 || !rep.Answer {
		t.Fatalf("report %+v", rep)
	}
	// A scenario's goals are checked and reported.
	stdout, stderr, err = runCLI(t, "bench", "--scenario", "rl-phase", "--steps", "600", "--tasks", "10", "--echo=false", "--json")
	if err != nil {
		t.Fatalf("bench --scenario rl-phase: %v %s", err, stderr)
	}
	rep = benchReport{}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bench --json: %v: %s", err, stdout)
	}
	if rep.Steps != 600 || rep.Errors != 0 || rep.Rollouts != 8 || rep.Turns != 10 || len(rep.Goals) != 1 || !rep.Goals[0].Met {
		t.Fatalf("rl-phase report %+v", rep)
	}
	for _, bad := range [][]string{{"--tool", "gpu"}, {"--tool", "builtin:0"}, {"--scenario", "nope"}, {"--open", "-1"}} {
		if _, _, err := runCLI(t, append([]string{"bench"}, bad...)...); err == nil {
			t.Errorf("bench %v: no error", bad)
		}
	}
}

func TestParseToolMix(t *testing.T) {
	for _, tc := range []struct {
		mix  string
		want map[string]int
	}{
		{"builtin", map[string]int{"calculator": 1}},
		{"builtin:8,code:1,mcp:1", map[string]int{"calculator": 8, "code_execution": 1, "bench__multiply": 1}},
		{"mcp:3, builtin:2", map[string]int{"bench__multiply": 3, "calculator": 2}},
	} {
		calls, err := parseToolMix(tc.mix)
		if err != nil {
			t.Fatalf("%s: %v", tc.mix, err)
		}
		got := map[string]int{}
		for _, c := range calls {
			got[c.Name]++
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.mix, got, tc.want)
		}
		run, longest := 0, 0
		for _, c := range calls {
			if run = run + 1; c.Name != "calculator" {
				run = 0
			}
			longest = max(longest, run)
		}
		if tc.mix == "builtin:8,code:1,mcp:1" && longest > 4 {
			t.Errorf("%s: not spread (%d calculator calls in a row): %v", tc.mix, longest, calls)
		}
	}
}

// TestRolloutCommand: dive rollout runs a group against a loopback policy
// in this process and, with --server, through a running dive serve's
// rollout op; each episode is one JSON line with its reward.
func TestRolloutCommand(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct {
			Messages []map[string]any `json:"messages"`
			Seed     *float64         `json:"seed"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if req.Seed == nil {
			http.Error(w, `{"error":{"message":"no seed"}}`, http.StatusBadRequest)
			return
		}
		message := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": "c1", "type": "function",
			"function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}}}
		if req.Messages[len(req.Messages)-1]["role"] == "tool" {
			message = map[string]any{"role": "assistant", "content": "<answer>391</answer>"}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "p",
			"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": "stop"}}})
	}))
	defer srv.Close()
	dir := t.TempDir()
	taskFile := filepath.Join(dir, "tasks.jsonl")
	os.WriteFile(taskFile, []byte(`{"uuid": "mul", "question": "What is 17 times 23?", "ground_truth": "391", "tools": ["calculator"]}`+"\n"), 0o644)
	check := func(out string, n int) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != n {
			t.Fatalf("%d episode lines, want %d: %s", len(lines), n, out)
		}
		for _, l := range lines {
			var ep env.RolloutEpisode
			if err := json.Unmarshal([]byte(l), &ep); err != nil || ep.Reward == nil || ep.Reward.Score != 1 || ep.ToolCalls != 1 {
				t.Fatalf("episode %s: %v", l, err)
			}
		}
	}
	out, stderr, err := runCLI(t, "rollout", taskFile, "--task", "mul", "--n", "3", "--seed", "5", "--policy-url", srv.URL+"/v1", "--model", "p")
	if err != nil || !strings.Contains(stderr, "mul: 3 episodes, seed 5, mean reward 1.000, 0 policy failures") {
		t.Fatalf("rollout: %v %s", err, stderr)
	}
	check(out, 3)

	addr, stop := startServe(t)
	defer stop()
	task := "dive-default-compound_interest-1"
	outFile := filepath.Join(dir, "episodes.jsonl")
	_, stderr, err = runCLI(t, "rollout", "--server", "ws://"+addr+"/v1/env", "--task", task, "--n", "2", "--policy-url", srv.URL+"/v1", "--model", "p", "--out", outFile)
	if err != nil || !strings.Contains(stderr, task+": 2 episodes") {
		t.Fatalf("rollout --server: %v %s", err, stderr)
	}
	data, _ := os.ReadFile(outFile)
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"task_id":"`+task+`"`) {
		t.Fatalf("episodes: %s", data)
	}
	_, stderr, err = runCLI(t, "rollout", "--server", "ws://"+addr+"/v1/env", "--task", "nope", "--policy-url", srv.URL+"/v1", "--model", "p")
	if err == nil || !strings.Contains(stderr, "unknown_task") {
		t.Fatalf("unknown task over the wire: %v %s", err, stderr)
	}
	if _, _, err := runCLI(t, "rollout", "--task", "mul", "--policy-url", srv.URL+"/v1", "--model", "p", "--api", "bogus", taskFile); err == nil {
		t.Fatal("a bad --api was accepted")
	}
}

// dive score on the labelled corpora of reward/testdata: the figures the
// reward must hold (agreement on the decided ≥ 97%, coverage ≥ 90%, no
// hedge scored correct), and a report per category.
func TestScoreGradedCorpus(t *testing.T) {
	for _, path := range []string{"../../reward/testdata/graded.jsonl", "../../reward/testdata/graded_holdout.jsonl"} {
		out, _, err := runCLI(t, "score", path, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var sum scoreSummary
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Labelled < 200 || *sum.DecidedAccuracy < 0.97 || *sum.Coverage < 0.90 || sum.Hedges == 0 || sum.HedgesAbovePartial != 0 ||
			len(sum.ByCategory) < 10 || sum.DecidedBy["rule"] != sum.N {
			t.Errorf("%s: %d labelled, agreement on the decided %.4f, coverage %.4f, hedges %d (%d scored correct), %d categories",
				path, sum.Labelled, *sum.DecidedAccuracy, *sum.Coverage, sum.Hedges, sum.HedgesAbovePartial, len(sum.ByCategory))
		}
	}
}
