package env

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

var encodings = []struct{ name, subprotocol string }{
	{"json", SubprotocolJSON},
	{"msgpack", SubprotocolMsgpack},
}

func toolNames(reset map[string]any) []string {
	var names []string
	for _, t := range reset["tools"].([]any) {
		names = append(names, t.(map[string]any)["function"].(map[string]any)["name"].(string))
	}
	return names
}

func openAICall(id, name string, args any) map[string]any {
	return map[string]any{"id": id, "type": "function", "function": map[string]any{"name": name, "arguments": args}}
}

// TestEndToEnd drives a real server through a real websocket client in both
// encodings: the whole protocol, good and bad input.
func TestEndToEnd(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			dir := t.TempDir()
			rec, err := OpenRecorder(filepath.Join(dir, "traj.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			te := newTestEnv(t, rec, nil)
			c := dial(t, te.url, enc.subprotocol)

			hello := c.result(OpHello, nil)
			if hello["protocol"] != ProtocolVersion || hello["encoding"] != enc.name {
				t.Fatalf("hello = %v", hello)
			}
			limits := hello["limits"].(map[string]any)
			if limits["max_in_flight"].(float64) <= 0 || limits["max_frame_bytes"].(float64) <= 0 {
				t.Fatalf("hello limits = %v", limits)
			}
			if fmt.Sprint(hello["tool_call_formats"]) != "[openai hermes qwen3_coder]" {
				t.Fatalf("formats = %v", hello["tool_call_formats"])
			}

			// Seeded sampling is reproducible.
			s1 := c.result(OpTasksSample, map[string]any{"split": "train", "n": 5, "seed": 7})
			s2 := c.result(OpTasksSample, map[string]any{"split": "train", "n": 5, "seed": 7})
			if fmt.Sprint(s1["tasks"]) != fmt.Sprint(s2["tasks"]) || len(s1["tasks"].([]any)) != 5 {
				t.Fatalf("seeded samples differ: %v vs %v", s1, s2)
			}
			for _, task := range s1["tasks"].([]any) {
				tm := task.(map[string]any)
				if tm["split"] != "train" {
					t.Fatalf("sample ignored the split filter: %v", tm)
				}
				if _, leaked := tm["ground_truth"]; leaked {
					t.Fatal("tasks.sample leaked the ground truth")
				}
			}
			list := c.result(OpTasksList, map[string]any{"domain": "biological", "limit": 3})
			if len(list["tasks"].([]any)) != 3 || list["total"].(float64) < 40 {
				t.Fatalf("tasks.list = %v", list)
			}

			// An OpenAI-format episode: parallel calls, a wrong tool name, bad arguments, then the answer.
			task, _ := te.tasks.Get("dive-default-gc_content-1")
			reset := c.result(OpReset, map[string]any{"task_id": task.ID})
			ep := reset["episode"].(string)
			msgs := reset["messages"].([]any)
			if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != task.Question {
				t.Fatalf("reset messages = %v", msgs)
			}
			names := toolNames(reset)
			if len(names) != len(task.Tools) || !strings.Contains(strings.Join(names, ","), "bio_sequtils_gc_content") {
				t.Fatalf("reset tools = %v, task has %v", names, task.Tools)
			}
			seq := regexp.MustCompile(`[ACGT]{10,}`).FindString(task.Question)
			step := c.result(OpStep, map[string]any{"episode": ep, "message": map[string]any{
				"role": "assistant", "content": "Let me compute.",
				"tool_calls": []any{
					openAICall("a", "bio_sequtils_gc_content", fmt.Sprintf(`{"sequence": %q}`, seq)),
					openAICall("b", "bio_sequtils_gc_content", map[string]any{"sequence": "GGCC"}),
					openAICall("c", "no_such_tool", "{}"),
					openAICall("d", "bio_sequtils_gc_content", `{"sequence": ""}`),
					openAICall("e", "bio_sequtils_gc_content", `{"sequence": `),
				},
			}})
			if step["done"] != false {
				t.Fatalf("step ended the episode: %v", step)
			}
			tms := step["messages"].([]any)
			if len(tms) != 5 {
				t.Fatalf("%d tool messages, want 5", len(tms))
			}
			for i, want := range []string{"a", "b", "c", "d", "e"} {
				m := tms[i].(map[string]any)
				if m["role"] != "tool" || m["tool_call_id"] != want {
					t.Fatalf("tool message %d = %v", i, m)
				}
			}
			var gc struct {
				Percent float64 `json:"gc_percent"`
			}
			if json.Unmarshal([]byte(tms[0].(map[string]any)["content"].(string)), &gc) != nil || strconv.FormatFloat(gc.Percent, 'f', 2, 64) != task.GroundTruth {
				t.Fatalf("gc result = %v, ground truth %s", tms[0], task.GroundTruth)
			}
			if !strings.Contains(tms[1].(map[string]any)["content"].(string), `"gc_fraction":1`) {
				t.Fatalf("second parallel call = %v", tms[1])
			}
			calls := step["info"].(map[string]any)["tool_calls"].([]any)
			wantKinds := []string{"", "", "unknown_tool", "invalid_arguments", "invalid_arguments"}
			for i, k := range wantKinds {
				ci := calls[i].(map[string]any)
				got := ""
				if e, ok := ci["error"].(map[string]any); ok {
					got = e["kind"].(string)
				}
				if got != k {
					t.Fatalf("call %d error kind %q, want %q (%v)", i, got, k, ci)
				}
			}
			if !strings.Contains(tms[2].(map[string]any)["content"].(string), "available tools") {
				t.Fatalf("unknown tool message does not list the tools: %v", tms[2])
			}
			if !strings.Contains(tms[3].(map[string]any)["content"].(string), "minLength") {
				t.Fatalf("schema violation not explained: %v", tms[3])
			}
			final := c.result(OpStep, map[string]any{"episode": ep, "message": map[string]any{
				"role": "assistant", "content": "The GC content is <answer>" + task.GroundTruth + "%</answer>"}})
			if final["done"] != true || final["reason"] != ReasonAnswer {
				t.Fatalf("final step = %v", final)
			}
			rw := final["reward"].(map[string]any)
			if rw["score"] != 1.0 || rw["label"] != "correct" {
				t.Fatalf("reward = %v", rw)
			}
			if code := errorCode(c.call(OpStep, map[string]any{"episode": ep, "text": "again"})); code != CodeEpisodeDone {
				t.Fatalf("step after done: %q", code)
			}
			state := c.result(OpState, map[string]any{"episode": ep})
			if len(state["messages"].([]any)) != 2+1+5+1 || state["done"] != true {
				t.Fatalf("state = %v", state)
			}

			// A Hermes-format episode: raw text with two tool calls, then a wrong answer.
			task2, _ := te.tasks.Get("dive-default-translate-1")
			reset2 := c.result(OpReset, map[string]any{"task_id": task2.ID, "options": map[string]any{"tool_call_format": "hermes", "max_turns": 4}})
			ep2 := reset2["episode"].(string)
			text := "I will translate.\n<tool_call>\n{\"name\": \"bio_seq_translate\", \"arguments\": {\"sequence\": \"ATGGCCTAA\", \"to_stop\": true}}\n</tool_call>\n" +
				"<tool_call>{\"name\": \"bio_seq_translate\", \"arguments\": {\"sequence\": \"ATGTGGTGA\"}}</tool_call>"
			h := c.result(OpStep, map[string]any{"episode": ep2, "text": text})
			hm := h["messages"].([]any)
			if len(hm) != 2 || !strings.Contains(hm[0].(map[string]any)["content"].(string), `"protein":"MA"`) ||
				!strings.Contains(hm[1].(map[string]any)["content"].(string), `"protein":"MW*"`) {
				t.Fatalf("hermes step = %v", h)
			}
			bad := c.result(OpStep, map[string]any{"episode": ep2, "text": "<tool_call>{not json</tool_call>"})
			if !strings.Contains(bad["messages"].([]any)[0].(map[string]any)["content"].(string), "not valid JSON") {
				t.Fatalf("malformed hermes call = %v", bad)
			}
			wrong := c.result(OpStep, map[string]any{"episode": ep2, "text": "<answer>MKV</answer>"})
			if wrong["done"] != true || wrong["reward"].(map[string]any)["score"] != 0.0 {
				t.Fatalf("wrong answer = %v", wrong)
			}

			// Bad input gets typed errors and the connection stays usable.
			if enc.name == "json" {
				c.writeFrame([]byte("{not json"))
			} else {
				c.writeFrame([]byte{0xc1, 0x00})
			}
			select {
			case m := <-c.untagged:
				if errorCode(m) != CodeBadFrame {
					t.Fatalf("malformed frame reply = %v", m)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no reply to a malformed frame")
			}
			for _, tc := range []struct {
				op     string
				params any
				code   string
			}{
				{"frobnicate", nil, CodeUnknownOp},
				{OpStep, map[string]any{"episode": "ep-nope", "text": "hi"}, CodeUnknownEpisode},
				{OpReset, map[string]any{"task_id": "no-such-task"}, CodeUnknownTask},
				{OpReset, map[string]any{"task_id": task.ID, "surprise": 1}, CodeBadRequest},
				{OpReset, map[string]any{"sample": map[string]any{"domain": "astrology"}}, CodeUnknownTask},
				{OpReset, map[string]any{"task_id": task.ID, "options": map[string]any{"tool_call_format": "xml"}}, CodeBadRequest},
				{OpStep, map[string]any{"episode": ep2}, CodeEpisodeDone},
				{OpStep, map[string]any{"episode": c.result(OpReset, map[string]any{"task_id": task.ID})["episode"]}, CodeBadRequest},
				{OpStep, map[string]any{"episode": ep, "message": map[string]any{"role": "user", "content": "hi"}}, CodeEpisodeDone},
				{OpTasksList, map[string]any{"offset": -1}, CodeBadRequest},
				{OpHello, []any{1, 2}, CodeBadRequest},
			} {
				got := errorCode(c.call(tc.op, tc.params))
				if !strings.Contains("|"+tc.code+"|", "|"+got+"|") {
					t.Errorf("%s %v: error %q, want %q", tc.op, tc.params, got, tc.code)
				}
			}
			if c.result(OpHello, nil)["protocol"] != ProtocolVersion {
				t.Fatal("connection unusable after bad input")
			}

			// Close releases an episode.
			if cl := c.result(OpClose, map[string]any{"episode": ep2}); cl["closed"] != true {
				t.Fatalf("close = %v", cl)
			}
			if code := errorCode(c.call(OpState, map[string]any{"episode": ep2})); code != CodeUnknownEpisode {
				t.Fatalf("state after close: %q", code)
			}

			// Both finished episodes are in the trajectory file, messages and reward included.
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			trajs := readTrajectories(t, filepath.Join(dir, "traj.jsonl"))
			if len(trajs) != 2 {
				t.Fatalf("%d trajectories, want 2", len(trajs))
			}
			if trajs[0].TaskID != task.ID || trajs[0].Reward.Score != 1 || len(trajs[0].Messages) != 9 || len(trajs[0].ToolCalls) != 5 {
				t.Fatalf("trajectory = %+v", trajs[0])
			}
			if trajs[1].ToolCallFormat != FormatHermes || trajs[1].Reward.Score != 0 {
				t.Fatalf("hermes trajectory = %+v", trajs[1])
			}
		})
	}
}

func readTrajectories(t *testing.T, path string) []Trajectory {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Trajectory
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var tr Trajectory
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatalf("trajectory line: %v", err)
		}
		out = append(out, tr)
	}
	return out
}

// TestInterleavedEpisodes runs 100 episodes at once on one connection:
// every request is sent before any reply is read, replies come back in any
// order, and each episode's steps still run in order.
func TestInterleavedEpisodes(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			te := newTestEnv(t, nil, nil)
			c := dial(t, te.url, enc.subprotocol)
			const n = 100
			all := te.tasks.All()
			resets := make([]chan map[string]any, n)
			for i := 0; i < n; i++ {
				_, resets[i] = c.send(OpReset, map[string]any{"task_id": all[i%len(all)].ID})
			}
			eps := make([]string, n)
			for i := range resets {
				r := c.wait(resets[i])
				if r["error"] != nil {
					t.Fatalf("reset %d: %v", i, r["error"])
				}
				eps[i] = r["result"].(map[string]any)["episode"].(string)
			}
			// Two steps per episode sent back to back: a tool call, then the answer.
			firsts := make([]chan map[string]any, n)
			seconds := make([]chan map[string]any, n)
			for i := 0; i < n; i++ {
				task := all[i%len(all)]
				_, firsts[i] = c.send(OpStep, map[string]any{"episode": eps[i], "message": map[string]any{
					"role": "assistant", "tool_calls": []any{openAICall("x", "nonexistent_tool", "{}")}}})
				_, seconds[i] = c.send(OpStep, map[string]any{"episode": eps[i], "text": "<answer>" + task.GroundTruth + "</answer>"})
			}
			for i := 0; i < n; i++ {
				a, b := c.wait(firsts[i]), c.wait(seconds[i])
				ar, br := a["result"].(map[string]any), b["result"].(map[string]any)
				if ar["done"] != false || ar["info"].(map[string]any)["turn"] != 1.0 {
					t.Fatalf("episode %d first step = %v", i, a)
				}
				if br["done"] != true || br["info"].(map[string]any)["turn"] != 2.0 || br["episode"] != eps[i] {
					t.Fatalf("episode %d second step = %v", i, b)
				}
				if br["reward"].(map[string]any)["score"] != 1.0 {
					t.Fatalf("episode %d (task %s) not rewarded: %v", i, all[i%len(all)].ID, br["reward"])
				}
			}
		})
	}
}

// TestBatch sends resets and steps of several episodes in single frames.
func TestBatch(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			te := newTestEnv(t, nil, nil)
			c := dial(t, te.url, enc.subprotocol)
			all := te.tasks.All()
			var reqs []any
			for i := 0; i < 8; i++ {
				reqs = append(reqs, map[string]any{"id": fmt.Sprintf("r%d", i), "op": OpReset, "params": map[string]any{"task_id": all[i].ID}})
			}
			reqs = append(reqs, map[string]any{"id": "bad", "op": "nope"})
			res := c.result(OpBatch, map[string]any{"requests": reqs})
			responses := res["responses"].([]any)
			if len(responses) != 9 {
				t.Fatalf("%d responses", len(responses))
			}
			var steps []any
			for i, r := range responses[:8] {
				rm := r.(map[string]any)
				if rm["id"] != fmt.Sprintf("r%d", i) || rm["error"] != nil {
					t.Fatalf("batch reset %d = %v", i, rm)
				}
				ep := rm["result"].(map[string]any)["episode"]
				steps = append(steps, map[string]any{"id": i, "op": OpStep, "params": map[string]any{"episode": ep, "text": "<answer>" + all[i].GroundTruth + "</answer>"}})
			}
			if errorCode(responses[8].(map[string]any)) != CodeUnknownOp {
				t.Fatalf("bad batch entry = %v", responses[8])
			}
			res = c.result(OpBatch, map[string]any{"requests": steps})
			for i, r := range res["responses"].([]any) {
				rm := r.(map[string]any)
				if rm["id"] != float64(i) || rm["result"].(map[string]any)["reward"].(map[string]any)["score"] != 1.0 {
					t.Fatalf("batch step %d = %v", i, rm)
				}
			}
			nested := c.result(OpBatch, map[string]any{"requests": []any{map[string]any{"id": 1, "op": OpBatch}}})
			if errorCode(nested["responses"].([]any)[0].(map[string]any)) != CodeBadRequest {
				t.Fatalf("nested batch = %v", nested)
			}
		})
	}
}

func TestEpisodeLimits(t *testing.T) {
	te := newTestEnv(t, nil, func(ec *EngineConfig, sc *ServerConfig) { sc.MaxEpisodesPerConnection = 2 })
	c := dial(t, te.url, SubprotocolJSON)
	id := te.tasks.All()[0].ID
	loop := map[string]any{"role": "assistant", "tool_calls": []any{openAICall("", "calculator", `{"expression": "1+1"}`)}}

	ep := c.result(OpReset, map[string]any{"task_id": id, "options": map[string]any{"max_turns": 2}})["episode"]
	c.result(OpStep, map[string]any{"episode": ep, "message": loop})
	r := c.result(OpStep, map[string]any{"episode": ep, "message": loop})
	if r["done"] != true || r["reason"] != ReasonMaxTurns || r["reward"].(map[string]any)["score"] != 0.0 {
		t.Fatalf("max_turns: %v", r)
	}

	ep = c.result(OpReset, map[string]any{"task_id": id, "options": map[string]any{"max_tool_calls": 3}})["episode"]
	three := map[string]any{"role": "assistant", "tool_calls": []any{
		openAICall("1", "calculator", `{"expression": "1"}`), openAICall("2", "calculator", `{"expression": "2"}`),
		openAICall("3", "calculator", `{"expression": "3"}`), openAICall("4", "calculator", `{"expression": "4"}`)}}
	r = c.result(OpStep, map[string]any{"episode": ep, "message": three})
	if r["done"] != true || r["reason"] != ReasonMaxToolCalls {
		t.Fatalf("max_tool_calls: %v", r)
	}
	if k := r["info"].(map[string]any)["tool_calls"].([]any)[3].(map[string]any)["error"].(map[string]any)["kind"]; k != "call_limit" {
		t.Fatalf("fourth call kind %v", k)
	}

	ep = c.result(OpReset, map[string]any{"task_id": id, "options": map[string]any{"deadline_s": 0.05}})["episode"]
	time.Sleep(80 * time.Millisecond)
	r = c.result(OpStep, map[string]any{"episode": ep, "message": loop})
	if r["done"] != true || r["reason"] != ReasonDeadline {
		t.Fatalf("deadline: %v", r)
	}

	// Two running episodes per connection: a third reset is refused until one finishes.
	a := c.result(OpReset, map[string]any{"task_id": id})["episode"]
	c.result(OpReset, map[string]any{"task_id": id})
	if code := errorCode(c.call(OpReset, map[string]any{"task_id": id})); code != CodeLimit {
		t.Fatalf("third running episode: %q", code)
	}
	c.result(OpStep, map[string]any{"episode": a, "text": "done"})
	c.result(OpReset, map[string]any{"task_id": id})
}

// TestEpisodesAreConnectionScoped checks that one connection cannot touch
// another's episodes, and that a closed connection releases its episodes
// (at once with resume off).
func TestEpisodesAreConnectionScoped(t *testing.T) {
	te := newTestEnv(t, nil, withGrace(-1))
	a := dial(t, te.url, SubprotocolJSON)
	b := dial(t, te.url, SubprotocolMsgpack)
	ep := a.result(OpReset, map[string]any{"task_id": te.tasks.All()[0].ID})["episode"]
	if code := errorCode(b.call(OpStep, map[string]any{"episode": ep, "text": "x"})); code != CodeUnknownEpisode {
		t.Fatalf("foreign step: %q", code)
	}
	if code := errorCode(b.call(OpClose, map[string]any{"episode": ep})); code != CodeUnknownEpisode {
		t.Fatalf("foreign close: %q", code)
	}
	if te.engine.OpenEpisodes() != 1 {
		t.Fatalf("open episodes = %d", te.engine.OpenEpisodes())
	}
	a.ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for te.engine.OpenEpisodes() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("episodes of a closed connection were not released")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubprotocolNegotiation(t *testing.T) {
	te := newTestEnv(t, nil, nil)
	c := dial(t, te.url, "") // none asked: JSON
	if c.result(OpHello, nil)["encoding"] != "json" {
		t.Fatal("default encoding is not JSON")
	}
	d := websocket.Dialer{Subprotocols: []string{"dive.v9.xml"}}
	_, resp, err := d.Dial(te.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsupported subprotocol: err %v, resp %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), SubprotocolMsgpack) {
		t.Fatalf("refusal does not say what is supported: %s", body)
	}
	// A text frame on a msgpack connection is a typed error.
	m := dial(t, te.url, SubprotocolMsgpack)
	m.mu.Lock()
	_ = m.ws.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"op":"hello"}`))
	m.mu.Unlock()
	select {
	case r := <-m.untagged:
		if errorCode(r) != CodeBadFrame {
			t.Fatalf("text frame on msgpack: %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
}

func TestHealthAndStatusPage(t *testing.T) {
	te := newTestEnv(t, nil, nil)
	for path, want := range map[string]string{"/healthz": "ok", "/": "tasks loaded:   140"} {
		resp, err := http.Get(te.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s = %d %q", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(te.http.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /nope = %d", resp.StatusCode)
	}
}
