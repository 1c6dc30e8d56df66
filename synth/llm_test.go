package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// fakeModel speaks the chat-completions wire format: asked with tools, it
// calls the calculator, then summarizes; asked without tools (derivation),
// it writes a question and answer from the evidence it was shown.
func fakeModel(t *testing.T, requests *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var req struct {
			Model    string           `json:"model"`
			Messages []map[string]any `json:"messages"`
			Tools    []struct {
				Type     string `json:"type"`
				Function struct {
					Name       string          `json:"name"`
					Parameters json.RawMessage `json:"parameters"`
				} `json:"function"`
			} `json:"tools"`
		}
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(body, &req) != nil {
			http.Error(w, `{"error": {"message": "bad request"}}`, http.StatusBadRequest)
			return
		}
		last := req.Messages[len(req.Messages)-1]
		var message map[string]any
		switch {
		case len(req.Tools) > 0 && last["role"] == "user":
			found := false
			for _, tool := range req.Tools {
				found = found || (tool.Type == "function" && tool.Function.Name == "calculator" && strings.Contains(string(tool.Function.Parameters), "expression"))
			}
			if !found {
				http.Error(w, `{"error": {"message": "no calculator among the tools"}}`, http.StatusBadRequest)
				return
			}
			message = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": "call_1", "type": "function", "function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}}}
		case len(req.Tools) > 0 && last["role"] == "tool":
			if last["tool_call_id"] != "call_1" || !strings.Contains(fmt.Sprint(last["content"]), "391") {
				http.Error(w, `{"error": {"message": "bad tool message"}}`, http.StatusBadRequest)
				return
			}
			message = map[string]any{"role": "assistant", "content": "17 times 23 is 391."}
		default:
			user := fmt.Sprint(req.Messages[len(req.Messages)-1]["content"])
			if !strings.Contains(user, `"result": 391`) {
				http.Error(w, `{"error": {"message": "the evidence is missing"}}`, http.StatusBadRequest)
				return
			}
			message = map[string]any{"role": "assistant", "content": "```json\n{\"question\": \"A crate holds 23 rows of 17 jars. How many jars does it hold?\", \"answer\": 391, \"reasoning\": \"17 * 23 = 391 (calculator).\"}\n```"}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "c", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// End to end with a model: the loop against a loopback OpenAI-compatible
// server with tool calls → a task file → served → answered → rewarded.
func TestLLMGeneratorEndToEnd(t *testing.T) {
	var requests atomic.Int64
	srv := fakeModel(t, &requests)
	reg := pool(t)
	g, err := NewLLMGenerator(LLMConfig{BaseURL: srv.URL + "/v1", Model: "teacher", Rounds: 2, Steps: 3}, reg)
	if err != nil {
		t.Fatal(err)
	}
	calc, _ := reg.Get(tCalc)
	// The calculator is the tool the model calls; the distractors are sampled
	// without it (which pool it falls in depends on the data installed).
	toolset := []*toolexec.Tool{calc}
	for _, t := range SampleToolset(reg, "financial", 20, rand.New(rand.NewPCG(1, 1))) {
		if t.Manifest.Name != calc.Manifest.Name {
			toolset = append(toolset, t)
		}
	}
	out, err := g.Make(context.Background(), "llm-1", "financial", "packing", toolset, []string{"How many items fit in ...?"})
	if err != nil {
		t.Fatal(err)
	}
	task := out.Task
	// Two rounds of (tool call, summary, derivation): six requests.
	if task.GroundTruth != "391" || !strings.Contains(task.Question, "23 rows of 17") || requests.Load() != 6 || out.TokensUsed != 90 {
		t.Fatalf("task %+v, %d requests, %d tokens", task, requests.Load(), out.TokensUsed)
	}
	var ev []Evidence
	if json.Unmarshal(task.Evidence, &ev) != nil || len(ev) != 2 || ev[0].Tool != tCalc || !replays(context.Background(), reg, ev) {
		t.Fatalf("evidence %s", task.Evidence)
	}
	// Into a task file and back, then served.
	data, err := WriteJSONL([]tasks.Task{task})
	if err != nil {
		t.Fatal(err)
	}
	back, problems := tasks.Parse("llm.jsonl", data)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	set, err := tasks.NewSet(back)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := env.NewEngine(env.DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, perr := eng.Reset(context.Background(), env.ResetParams{TaskID: "llm-1"})
	if perr != nil {
		t.Fatal(perr)
	}
	step, perr := eng.Step(context.Background(), env.StepParams{Episode: r.Episode, Message: &env.Message{Role: "assistant", Content: "<answer>391 jars</answer>"}})
	if perr != nil || step.Reward == nil || step.Reward.Label != reward.Correct {
		t.Fatalf("reward %+v %v", step.Reward, perr)
	}
}

func TestParseDerivation(t *testing.T) {
	if q, a, _, err := parseDerivation(`{"question": "Q?", "answer": 4.5, "reasoning": "r"}`); err != nil || q != "Q?" || a != "4.5" {
		t.Fatalf("%q %q %v", q, a, err)
	}
	for _, bad := range []string{"no json", `{"question": "Q?"}`, `{"answer": "x"}`, `{"question": `} {
		if _, _, _, err := parseDerivation(bad); err == nil {
			t.Errorf("parseDerivation(%q) accepted", bad)
		}
	}
}
