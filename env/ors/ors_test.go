package ors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// fixture is a dive engine with test tools and tasks, served over ORS on
// loopback.
type fixture struct {
	url        string
	handler    http.Handler
	engine     *env.Engine
	facade     *Server
	slowRuns   atomic.Int32
	trajectory string
}

func newFixture(t testing.TB, cfg Config, tune ...func(*env.EngineConfig)) *fixture {
	t.Helper()
	f := &fixture{trajectory: filepath.Join(t.TempDir(), "trajectories.jsonl")}
	reg := toolexec.NewRegistry(toolexec.Options{})
	add := toolexec.InlineFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		var a struct{ A, B float64 }
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		return map[string]any{"sum": a.A + a.B}, nil
	})
	big := toolexec.InlineFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		var a struct{ N int }
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		return strings.Repeat("é", a.N) + "🙂<&>\n\"end\"", nil
	})
	slow := toolexec.ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		f.slowRuns.Add(1)
		var a struct{ MS int }
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		select {
		case <-time.After(time.Duration(a.MS) * time.Millisecond):
			return map[string]any{"slept_ms": a.MS}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	for _, tool := range []struct {
		name   string
		exec   toolexec.Executor
		params string
	}{
		{"add", add, `{"type":"object","required":["a","b"],"additionalProperties":false,"properties":{"a":{"type":"number"},"b":{"type":"number"}}}`},
		{"big", big, `{"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0,"maximum":100000}}}`},
		{"slow", slow, `{"type":"object","required":["ms"],"properties":{"ms":{"type":"integer","minimum":0,"maximum":10000}}}`},
	} {
		m := toolexec.Manifest{ID: "test." + tool.name, Name: tool.name, Domain: "general", Description: "The " + tool.name + " tool.", Parameters: json.RawMessage(tool.params)}
		if err := reg.Register(m, tool.exec, ""); err != nil {
			t.Fatal(err)
		}
	}
	tools := []string{"test.add", "test.big", "test.slow"}
	set, err := tasks.NewSet([]tasks.Task{
		{ID: "sum-1", Question: "What is 2 + 3?", GroundTruth: "5", Tools: tools, Split: "train", Domain: "general"},
		{ID: "sum-2", Question: "What is 4 + 4?", GroundTruth: "8", Tools: tools, Split: "train", Domain: "general"},
		{ID: "sum-3", Question: "What is 1 + 1?", GroundTruth: "2", Tools: tools, Split: "test", Domain: "general"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := env.OpenRecorder(f.trajectory)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ec := env.DefaultEngineConfig()
	for _, fn := range tune {
		fn(&ec)
	}
	f.engine, err = env.NewEngine(ec, set, reg, reward.NewRegistry(), rec, log)
	if err != nil {
		t.Fatal(err)
	}
	f.facade = New(f.engine, cfg)
	srv := env.NewServer(f.engine, env.ServerConfig{Routes: f.facade.Register}, log)
	f.handler = srv.Handler()
	hs := httptest.NewServer(f.handler)
	t.Cleanup(func() {
		hs.Close()
		f.facade.Close()
		_ = rec.Close()
	})
	f.url = hs.URL
	return f
}

// do sends a request and decodes a JSON reply into out (when not nil).
func (f *fixture) do(t testing.TB, method, path, sid string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if sid != "" {
		req.Header.Set("X-Session-ID", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// sseEvent is one server-sent event; a comment has Name ":".
type sseEvent struct{ Name, Data string }

// readSSE reads events as the reference client does: each line decoded
// alone, data lines of an event joined by newlines.
func readSSE(t testing.TB, r io.Reader, stopAfter string) []sseEvent {
	t.Helper()
	var out []sseEvent
	var name string
	var data []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		raw := sc.Bytes()
		if !utf8.Valid(raw) {
			t.Fatalf("an SSE line is not UTF-8 on its own: %q", raw)
		}
		line := strings.TrimRight(string(raw), "\r")
		switch {
		case line == "":
			if name != "" {
				out = append(out, sseEvent{name, strings.Join(data, "\n")})
				if name == stopAfter || name == "end" || name == "error" {
					return out
				}
			}
			name, data = "", nil
		case strings.HasPrefix(line, ":"):
			out = append(out, sseEvent{":", strings.TrimSpace(line[1:])})
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				name = value
			case "data":
				data = append(data, value)
			}
		}
	}
	return out
}

// post opens an SSE request; the caller reads and closes the body.
func (f *fixture) post(t testing.TB, ctx context.Context, path, sid string, body any) *http.Response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+path, bytes.NewReader(b))
	req.Header.Set("Accept", "text/event-stream")
	if sid != "" {
		req.Header.Set("X-Session-ID", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("POST %s: %d %s %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return resp
}

// mint asks /create_session for a session id, as the reference client does.
func (f *fixture) mint(t testing.TB) string {
	t.Helper()
	resp := f.post(t, context.Background(), "/create_session", "", map[string]any{})
	events := readSSE(t, resp.Body, "end")
	resp.Body.Close()
	if len(events) != 2 || events[0].Name != "task_id" || events[1] != (sseEvent{"end", ""}) {
		t.Fatalf("create_session events %v", events)
	}
	return events[0].Data
}

// session opens a session on a task, as the reference client does.
func (f *fixture) session(t testing.TB, taskSpec map[string]any) string {
	t.Helper()
	sid := f.mint(t)
	var created map[string]string
	if code := f.do(t, "POST", "/create", sid, map[string]any{"env_name": "dive", "task_spec": taskSpec}, &created); code != 200 || created["sid"] != sid {
		t.Fatalf("create: %d %v", code, created)
	}
	return sid
}

// call runs a tool call and returns its RunToolOutput and the events.
func (f *fixture) call(t testing.TB, sid, name string, input any) (map[string]any, []sseEvent) {
	t.Helper()
	resp := f.post(t, context.Background(), "/dive/call", sid, map[string]any{"name": name, "input": input})
	defer resp.Body.Close()
	events := readSSE(t, resp.Body, "")
	return result(t, events), events
}

// result reassembles the chunk and end events as the reference client does.
func result(t testing.TB, events []sseEvent) map[string]any {
	t.Helper()
	if len(events) == 0 || events[0].Name != "task_id" || events[0].Data == "" {
		t.Fatalf("the stream does not open with a task_id: %v", events)
	}
	var b strings.Builder
	for _, e := range events[1:] {
		switch e.Name {
		case "chunk", "end":
			b.WriteString(e.Data)
		case ":":
		default:
			t.Fatalf("unexpected event %v", e)
		}
	}
	if last := events[len(events)-1]; last.Name != "end" {
		t.Fatalf("the stream does not close with an end event: %v", events)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatalf("the result %q is not JSON: %v", b.String(), err)
	}
	return out
}

// TestDiscovery: the endpoints that need no session.
func TestDiscovery(t *testing.T) {
	f := newFixture(t, Config{})
	var health, envs any
	if f.do(t, "GET", "/health", "", nil, &health) != 200 || fmt.Sprint(health) != "map[status:ok]" {
		t.Fatalf("health %v", health)
	}
	if f.do(t, "GET", "/list_environments", "", nil, &envs) != 200 || fmt.Sprint(envs) != "[dive]" {
		t.Fatalf("environments %v", envs)
	}
	var tools struct{ Tools []toolSpec }
	if f.do(t, "GET", "/dive/tools", "", nil, &tools) != 200 || len(tools.Tools) != 1 || tools.Tools[0].Name != AnswerTool {
		t.Fatalf("shared tools %+v", tools)
	}
	var splits []map[string]string
	f.do(t, "GET", "/dive/splits", "", nil, &splits)
	if fmt.Sprint(splits) != "[map[name:test type:test] map[name:train type:train] map[name:all type:validation]]" {
		t.Fatalf("splits %v", splits)
	}
	var list struct {
		Tasks   []map[string]any
		EnvName string `json:"env_name"`
	}
	if f.do(t, "POST", "/dive/tasks", "", map[string]any{"split": "train"}, &list) != 200 || len(list.Tasks) != 2 || list.EnvName != "dive" {
		t.Fatalf("tasks %+v", list)
	}
	for _, task := range list.Tasks {
		for key := range task {
			if key == "ground_truth" || key == "answer" {
				t.Fatalf("a listed task carries its answer: %v", task)
			}
		}
	}
	var n map[string]int
	if f.do(t, "POST", "/dive/num_tasks", "", map[string]any{"split": "all"}, &n) != 200 || n["num_tasks"] != 3 {
		t.Fatalf("num_tasks %v", n)
	}
	var one struct{ Task map[string]any }
	if f.do(t, "POST", "/dive/task", "", map[string]any{"split": "train", "index": 1}, &one) != 200 || one.Task["task_id"] != "sum-2" {
		t.Fatalf("task %v", one)
	}
	var rng struct{ Tasks []map[string]any }
	if f.do(t, "POST", "/dive/task_range", "", map[string]any{"split": "all", "start": -2}, &rng) != 200 || len(rng.Tasks) != 2 || rng.Tasks[0]["task_id"] != "sum-2" {
		t.Fatalf("task_range %v", rng)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		code         int
	}{
		{"POST", "/dive/tasks", map[string]any{"split": "nope"}, 400},
		{"POST", "/dive/task", map[string]any{"split": "train", "index": 2}, 400},
		{"POST", "/dive/tasks", "not an object", 400},
		{"GET", "/other/tools", nil, 404},
	} {
		var detail map[string]any
		if code := f.do(t, tc.method, tc.path, "", tc.body, &detail); code != tc.code || (code != 404 && detail["detail"] == "") {
			t.Errorf("%s %s %v: %d %v, want %d", tc.method, tc.path, tc.body, code, detail, tc.code)
		}
	}
}

// detailOf returns a JSON error reply's status and detail.
func detailOf(t testing.TB, f *fixture, method, path, sid string, body any) (int, string) {
	t.Helper()
	var out map[string]any
	code := f.do(t, method, path, sid, body, &out)
	d, _ := out["detail"].(string)
	return code, d
}

// TestEpisode: a whole episode over ORS — prompt, the task's tools, tool
// calls as observations (failures included), the answer with its reward,
// and the session's end.
func TestEpisode(t *testing.T) {
	f := newFixture(t, Config{})
	sid := f.session(t, map[string]any{"task_id": "sum-1"})

	var prompt []block
	f.do(t, "GET", "/dive/prompt", sid, nil, &prompt)
	if len(prompt) != 2 || prompt[0].Detail["role"] != "system" || !strings.Contains(prompt[0].Text, AnswerTool) ||
		prompt[1].Text != "What is 2 + 3?" || prompt[1].Type != "text" {
		t.Fatalf("prompt %+v", prompt)
	}
	var tools struct{ Tools []toolSpec }
	f.do(t, "GET", "/dive/task_tools", sid, nil, &tools)
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if fmt.Sprint(names) != "[submit_answer add big slow]" || tools.Tools[1].InputSchema.(map[string]any)["required"] == nil {
		t.Fatalf("task tools %+v", tools)
	}

	out, _ := f.call(t, sid, "add", map[string]any{"a": 2, "b": 3})
	output := out["output"].(map[string]any)
	if out["ok"] != true || output["finished"] != false || output["reward"] != nil ||
		!strings.Contains(output["blocks"].([]any)[0].(map[string]any)["text"].(string), `"sum":5`) {
		t.Fatalf("add: %v", out)
	}
	for _, tc := range []struct {
		name  string
		input any
		kind  string
	}{
		{"no_such_tool", map[string]any{}, "unknown_tool"},
		{"add", map[string]any{"a": "two"}, "invalid_arguments"},
	} {
		out, _ := f.call(t, sid, tc.name, tc.input)
		output := out["output"].(map[string]any)
		meta := output["metadata"].(map[string]any)
		if out["ok"] != true || output["finished"] != false || meta["error"].(map[string]any)["kind"] != tc.kind ||
			!strings.HasPrefix(output["blocks"].([]any)[0].(map[string]any)["text"].(string), "Error ("+tc.kind+")") {
			t.Fatalf("%s %v: %v", tc.name, tc.input, out)
		}
	}
	if out, _ := f.call(t, sid, AnswerTool, map[string]any{}); out["ok"] != false || !strings.Contains(out["error"].(string), "answer") {
		t.Fatalf("an answer without answer: %v", out)
	}

	out, _ = f.call(t, sid, AnswerTool, map[string]any{"answer": "5"})
	output = out["output"].(map[string]any)
	meta := output["metadata"].(map[string]any)
	if out["ok"] != true || output["finished"] != true || output["reward"] != 1.0 || meta["reason"] != "answer" ||
		meta["reward"].(map[string]any)["label"] != "correct" {
		t.Fatalf("answer: %v", out)
	}
	if out, _ := f.call(t, sid, "add", map[string]any{"a": 1, "b": 1}); out["ok"] != false || !strings.Contains(out["error"].(string), "ended") {
		t.Fatalf("a call after the end: %v", out)
	}

	if code, _ := detailOf(t, f, "POST", "/ping", sid, nil); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	if code, _ := detailOf(t, f, "POST", "/delete", sid, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := detailOf(t, f, "POST", "/ping", sid, nil); code != 404 {
		t.Fatalf("ping after delete: %d", code)
	}
	if f.engine.OpenEpisodes() != 0 || f.facade.Sessions() != 0 {
		t.Fatalf("%d episodes, %d sessions left", f.engine.OpenEpisodes(), f.facade.Sessions())
	}
	traj, _ := os.ReadFile(f.trajectory)
	if !bytes.Contains(traj, []byte(`"reason":"answer"`)) {
		t.Fatalf("the episode is not recorded: %s", traj)
	}
}

// TestCreateErrors: what /create refuses, and how.
func TestCreateErrors(t *testing.T) {
	f := newFixture(t, Config{MaxSessions: 2})
	taken := f.session(t, map[string]any{"task_id": "sum-1"})
	s1 := f.mint(t)
	for _, tc := range []struct {
		name, sid string
		body      any
		code      int
		detail    string
	}{
		{"no session id", "", map[string]any{"task_spec": map[string]any{"task_id": "sum-1"}}, 400, "X-Session-ID"},
		{"both task sources", s1, map[string]any{"task_spec": map[string]any{"task_id": "sum-1"}, "split": "train", "index": 0}, 400, "either"},
		{"neither", s1, map[string]any{}, 400, "either"},
		{"a spec without task_id", s1, map[string]any{"task_spec": map[string]any{"question": "?"}}, 400, "task_id"},
		{"an unknown task", s1, map[string]any{"task_spec": map[string]any{"task_id": "nope"}}, 404, "nope"},
		{"another environment", s1, map[string]any{"env_name": "math", "task_spec": map[string]any{"task_id": "sum-1"}}, 404, "math"},
		{"an index past the split", s1, map[string]any{"split": "test", "index": 1}, 400, "index"},
		{"a session that exists", taken, map[string]any{"split": "test", "index": 0}, 400, "exists"},
		// The red team's #13: a client-chosen id let a second client drive the
		// first one's episode (and read its sandbox). Ids are minted only.
		{"an id not minted", "my-own-id", map[string]any{"split": "test", "index": 0}, 404, "create_session"},
	} {
		if code, detail := detailOf(t, f, "POST", "/create", tc.sid, tc.body); code != tc.code || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %d %q, want %d and %q", tc.name, code, detail, tc.code, tc.detail)
		}
	}
	// By split and index; then the server is full.
	s2 := f.mint(t)
	if code, _ := detailOf(t, f, "POST", "/create", s2, map[string]any{"split": "test", "index": 0}); code != 200 {
		t.Fatalf("create by index: %d", code)
	}
	if code, detail := detailOf(t, f, "POST", "/create", s2, map[string]any{"split": "test", "index": 0}); code != 400 || !strings.Contains(detail, "exists") {
		t.Fatalf("a minted id used twice: %d %q", code, detail)
	}
	var prompt []block
	f.do(t, "GET", "/dive/prompt", s2, nil, &prompt)
	if len(prompt) != 2 || prompt[1].Text != "What is 1 + 1?" {
		t.Fatalf("the indexed task's prompt %+v", prompt)
	}
	if code, detail := detailOf(t, f, "POST", "/create", f.mint(t), map[string]any{"split": "test", "index": 0}); code != 429 || !strings.Contains(detail, "limit") {
		t.Fatalf("past MaxSessions: %d %q", code, detail)
	}
	for _, path := range []string{"/dive/prompt", "/dive/task_tools"} {
		if code, _ := detailOf(t, f, "GET", path, "nope", nil); code != 404 {
			t.Errorf("%s of an unknown session: %d", path, code)
		}
	}
	if code, _ := detailOf(t, f, "POST", "/dive/call", "nope", map[string]any{"name": "add", "input": map[string]any{}}); code != 404 {
		t.Errorf("a call in an unknown session: %d", code)
	}
	if code, _ := detailOf(t, f, "POST", "/dive/call", taken, map[string]any{"name": "add", "input": []int{1}}); code != 400 {
		t.Errorf("an input that is not an object: %d", code)
	}
}

// TestChunkedResult: a result over 4 KB comes as chunk events and an end
// event, each cut between UTF-8 characters, that join into the result.
func TestChunkedResult(t *testing.T) {
	f := newFixture(t, Config{})
	sid := f.session(t, map[string]any{"task_id": "sum-1"})
	out, events := f.call(t, sid, "big", map[string]any{"n": 5000})
	chunks := 0
	for _, e := range events {
		if e.Name == "chunk" {
			chunks++
		}
		if (e.Name == "chunk" || e.Name == "end") && len(e.Data) > chunkSize {
			t.Fatalf("an event of %d bytes", len(e.Data))
		}
	}
	text := out["output"].(map[string]any)["blocks"].([]any)[0].(map[string]any)["text"].(string)
	var got string
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		got = text
	}
	if chunks < 2 || got != strings.Repeat("é", 5000)+"🙂<&>\n\"end\"" {
		t.Fatalf("%d chunks; text %.80q…", chunks, got)
	}
}

// TestChunks: pieces within the size, on character boundaries, in order.
func TestChunks(t *testing.T) {
	for _, tc := range []struct {
		data string
		size int
		want []string
	}{
		{"", 4, []string{""}},
		{"abcdef", 4, []string{"abcd", "ef"}},
		{"aéé", 4, []string{"aé", "é"}},
		{"🙂🙂", 5, []string{"🙂", "🙂"}},
		{"ab", 4, []string{"ab"}},
	} {
		var got []string
		for _, c := range chunks([]byte(tc.data), tc.size) {
			got = append(got, string(c))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("chunks(%q, %d) = %q, want %q", tc.data, tc.size, got, tc.want)
		}
	}
}

// TestReconnectByTaskID: a client whose stream drops asks again with the
// call's task_id and gets its result; the tool ran once. Pings keep the
// stream alive while it runs.
func TestReconnectByTaskID(t *testing.T) {
	f := newFixture(t, Config{PingEvery: 20 * time.Millisecond})
	sid := f.session(t, map[string]any{"task_id": "sum-1"})

	ctx, cancel := context.WithCancel(context.Background())
	resp := f.post(t, ctx, "/dive/call", sid, map[string]any{"name": "slow", "input": map[string]any{"ms": 300}})
	first := readSSE(t, resp.Body, "task_id")
	cancel() // the stream drops
	resp.Body.Close()
	if len(first) != 1 || first[0].Name != "task_id" {
		t.Fatalf("first events %v", first)
	}
	resp = f.post(t, context.Background(), "/dive/call", sid, map[string]any{"name": "slow", "input": map[string]any{"ms": 300}, "task_id": first[0].Data})
	events := readSSE(t, resp.Body, "")
	resp.Body.Close()
	out := result(t, events)
	pings := 0
	for _, e := range events {
		if e.Name == ":" {
			pings++
		}
	}
	if out["ok"] != true || !strings.Contains(fmt.Sprint(out["output"]), "slept_ms") || f.slowRuns.Load() != 1 || pings == 0 {
		t.Fatalf("after reconnecting: %v; the tool ran %d times; %d pings", out, f.slowRuns.Load(), pings)
	}
	other := f.session(t, map[string]any{"task_id": "sum-2"})
	for _, tc := range []struct{ sid, taskID string }{{sid, "nope"}, {other, first[0].Data}} {
		resp = f.post(t, context.Background(), "/dive/call", tc.sid, map[string]any{"name": "slow", "input": map[string]any{}, "task_id": tc.taskID})
		events = readSSE(t, resp.Body, "")
		resp.Body.Close()
		if len(events) != 1 || events[0] != (sseEvent{"error", "unknown task_id"}) {
			t.Fatalf("task_id %s from session %s: %v", tc.taskID, tc.sid, events)
		}
	}
}

// TestIdleSessionsEnd: a session unused past IdleTimeout ends; its episode
// is abandoned and recorded.
func TestIdleSessionsEnd(t *testing.T) {
	f := newFixture(t, Config{IdleTimeout: 100 * time.Millisecond})
	sid := f.session(t, map[string]any{"task_id": "sum-2"})
	deadline := time.Now().Add(5 * time.Second)
	for f.facade.Sessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := detailOf(t, f, "POST", "/ping", sid, nil); code != 404 || f.engine.OpenEpisodes() != 0 {
		t.Fatalf("after the idle timeout: ping %d, %d episodes open", code, f.engine.OpenEpisodes())
	}
	traj, _ := os.ReadFile(f.trajectory)
	if !bytes.Contains(traj, []byte(`"reason":"abandoned"`)) {
		t.Fatalf("the idle episode is not recorded: %s", traj)
	}
}

// TestToken: with a token every endpoint but /health needs it, as
// X-API-Key (the ORS client's header) or a bearer token.
func TestToken(t *testing.T) {
	f := newFixture(t, Config{Token: "s3cret"})
	get := func(path string, header map[string]string) int {
		req, _ := http.NewRequest("GET", f.url+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path   string
		header map[string]string
		code   int
	}{
		{"/health", nil, 200},
		{"/list_environments", nil, 401},
		{"/list_environments", map[string]string{"X-API-Key": "wrong"}, 401},
		{"/list_environments", map[string]string{"X-API-Key": "s3cret"}, 200},
		{"/dive/tools", map[string]string{"Authorization": "Bearer s3cret"}, 200},
	} {
		if code := get(tc.path, tc.header); code != tc.code {
			t.Errorf("%s %v: %d, want %d", tc.path, tc.header, code, tc.code)
		}
	}
}

// BenchmarkCall: one inline tool call over ORS, HTTP and SSE on loopback,
// client in the same process (keep-alive connections).
func BenchmarkCall(b *testing.B) {
	f := newFixture(b, Config{}, func(ec *env.EngineConfig) { ec.MaxTurns, ec.MaxToolCalls = 1<<30, 1<<30 })
	sid := f.session(b, map[string]any{"task_id": "sum-1"})
	body := []byte(`{"name": "add", "input": {"a": 2, "b": 3}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/dive/call", bytes.NewReader(body))
		req.Header.Set("X-Session-ID", sid)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(data, []byte(`\"sum\":5`)) {
			b.Fatalf("reply %s", data)
		}
	}
}

// FuzzRequests: whatever the method, path, session and body, the facade
// answers — JSON, or an event stream for the SSE endpoints — and never
// panics; a session a request made is still usable or cleanly gone.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct{ method, path, sid, body string }{
		{"POST", "/create", "s", `{"task_spec": {"task_id": "sum-1"}}`},
		{"POST", "/create", "s", `{"split": "all", "index": -1}`},
		{"POST", "/dive/call", "s", `{"name": "add", "input": {"a": 1, "b": 2}}`},
		{"POST", "/dive/call", "s", `{"name": "submit_answer", "input": {"answer": ["5"]}}`},
		{"POST", "/dive/call", "s", `{"name": "big", "input": {"n": 3000}, "task_id": null}`},
		{"POST", "/dive/task_range", "", `{"split": "train", "start": 5, "stop": -9}`},
		{"GET", "/DIVE/prompt", "s", ``},
		{"POST", "/delete", "s", `{}`},
	} {
		f.Add(seed.method, seed.path, seed.sid, seed.body)
	}
	fx := newFixture(f, Config{})
	f.Fuzz(func(t *testing.T, method, path, sid, body string) {
		if method != "GET" && method != "POST" || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#%") {
			return
		}
		if _, err := url.ParseRequestURI("http://dive" + path); err != nil {
			return // not a request a client could send
		}
		req := httptest.NewRequest(method, "http://dive"+path, strings.NewReader(body))
		if sid != "" && !strings.ContainsAny(sid, "\r\n\x00") {
			req.Header.Set("X-Session-ID", sid)
		}
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)
		ctype := rec.Header().Get("Content-Type")
		switch {
		case strings.HasPrefix(ctype, "text/event-stream"):
			if !strings.HasPrefix(rec.Body.String(), "event: ") {
				t.Fatalf("%s %s: an event stream that does not open with an event: %q", method, path, rec.Body.String())
			}
		case strings.HasPrefix(ctype, "application/json"):
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: %d %q is not JSON", method, path, rec.Code, rec.Body.String())
			}
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}

// A request body sent slowly holds its connection no longer than the body
// timeout (the red team's 8d: slow ORS bodies stayed open, even on a server
// with a token, from clients without it). Without the token the connection
// is closed after the 401.
func TestSlowBodyAndUnauthorized(t *testing.T) {
	f := newFixture(t, Config{BodyTimeout: 200 * time.Millisecond, Token: "tok"})
	addr := strings.TrimPrefix(f.url, "http://")
	resp, _ := rawRequest(t, addr, "POST /dive/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: tok\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"split\"")
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("a slow body: %v", resp)
	}
	// Without the token: 401, and the connection is closed.
	resp, br := rawRequest(t, addr, "POST /dive/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("without the token: %v", resp)
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the connection stays open after a 401: %v", err)
	}
}

// rawRequest writes req on a new TCP connection to addr and reads the
// response (5 s at most); the reader goes on with what follows it.
func rawRequest(t *testing.T, addr, req string) (*http.Response, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	io.WriteString(conn, req)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: %v", strings.SplitN(req, "\r\n", 2)[0], err)
	}
	return resp, br
}
