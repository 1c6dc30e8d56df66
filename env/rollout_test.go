package env

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakePolicy is a loopback policy server speaking the OpenAI chat
// completions wire format as vLLM does with logprobs and return_token_ids:
// it calls the calculator, then answers. Its "tokenizer" renders each
// message as a role marker, the bytes of its content and tool calls, and
// an end marker; the prompt ends with the assistant marker, so a turn's
// prompt extends the last prompt, completion and tool results exactly.
type fakePolicy struct {
	answer string
	mode   string // "", "error", "stall", "malformed", "notokens", "rerender"

	mu    sync.Mutex
	seeds map[float64]bool
	calls int
}

const (
	tokAssistant = 999
	tokEnd       = 998
)

func body(m map[string]any) []int {
	var ids []int
	content, _ := m["content"].(string)
	for _, b := range []byte(content) {
		ids = append(ids, int(b))
	}
	calls, _ := m["tool_calls"].([]any)
	for _, c := range calls {
		f := c.(map[string]any)["function"].(map[string]any)
		for _, b := range []byte(f["name"].(string) + f["arguments"].(string)) {
			ids = append(ids, int(b))
		}
	}
	return append(ids, tokEnd)
}

func render(msgs []any, rerender bool) []int {
	var ids []int
	for _, m := range msgs {
		m := m.(map[string]any)
		switch m["role"] {
		case "assistant":
			ids = append(ids, tokAssistant)
			if rerender { // a template that drops earlier reasoning, say
				ids = append(ids, 7)
			}
		case "system":
			ids = append(ids, 1001)
		case "user":
			ids = append(ids, 1002)
		default:
			ids = append(ids, 1003)
		}
		ids = append(ids, body(m)...)
	}
	return append(ids, tokAssistant)
}

func (f *fakePolicy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls++
	if f.seeds == nil {
		f.seeds = map[float64]bool{}
	}
	seed, _ := req["seed"].(float64)
	f.seeds[seed] = true
	f.mu.Unlock()
	switch f.mode {
	case "error":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error": {"message": "CUDA out of memory", "type": "InternalServerError", "code": 500}}`)
		return
	case "stall":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	msgs := req["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	msg := map[string]any{"role": "assistant", "content": ""}
	if last["role"] == "tool" {
		msg["content"] = "<answer>" + f.answer + "</answer>"
	} else {
		args := `{"expression":"17*23"}`
		if f.mode == "malformed" {
			args = `{"expression": 17*`
		}
		msg["tool_calls"] = []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "calculator", "arguments": args}}}
	}
	prompt, completion := render(msgs, f.mode == "rerender" && len(msgs) > 2), body(msg)
	lps := make([]any, len(completion))
	for i := range completion {
		lps[i] = map[string]any{"token": fmt.Sprintf("token_id:%d", completion[i]), "logprob": -0.01 * float64(i+1)}
	}
	choice := map[string]any{"index": 0, "message": msg, "finish_reason": "stop", "logprobs": map[string]any{"content": lps}, "token_ids": completion}
	resp := map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req["model"],
		"choices": []any{choice}, "prompt_token_ids": prompt, "usage": map[string]any{"prompt_tokens": len(prompt), "completion_tokens": len(completion)}}
	if f.mode == "notokens" {
		delete(resp, "prompt_token_ids")
		delete(choice, "token_ids")
	}
	if req["stream"] == true {
		f.stream(w, resp, msg, completion)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// stream sends the turn as vLLM streams it: the role and prompt ids first,
// then content or tool-call pieces with their token ids, then the finish.
func (f *fakePolicy) stream(w http.ResponseWriter, resp, msg map[string]any, completion []int) {
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(delta map[string]any, ids []int, finish any, extra map[string]any) {
		lps := make([]any, len(ids))
		for i := range ids {
			lps[i] = map[string]any{"token": "", "logprob": -0.5}
		}
		chunk := map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": resp["model"],
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "token_ids": ids, "logprobs": map[string]any{"content": lps}}}}
		for k, v := range extra {
			chunk[k] = v
		}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	half := len(completion) / 2
	send(map[string]any{"role": "assistant", "content": ""}, nil, nil, map[string]any{"prompt_token_ids": resp["prompt_token_ids"]})
	if calls, ok := msg["tool_calls"].([]any); ok {
		fn := calls[0].(map[string]any)["function"].(map[string]any)
		args := fn["arguments"].(string)
		send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_1", "type": "function",
			"function": map[string]any{"name": fn["name"], "arguments": args[:5]}}}}, completion[:half], nil, nil)
		send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": args[5:]}}}}, completion[half:], "tool_calls", nil)
	} else {
		c := msg["content"].(string)
		send(map[string]any{"content": c[:3]}, completion[:half], nil, nil)
		send(map[string]any{"content": c[3:]}, completion[half:], "stop", nil)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func newRollout(t *testing.T, mode string) (*testEnv, *fakePolicy, RolloutParams) {
	t.Helper()
	te := newTestEnv(t, nil, nil)
	task := calculatorTask(t, te)
	truth, _ := te.tasks.Get(task)
	fp := &fakePolicy{answer: truth.GroundTruth, mode: mode}
	hs := httptest.NewServer(fp)
	t.Cleanup(hs.Close)
	seed := uint64(42)
	return te, fp, RolloutParams{TaskID: task, N: 4, Seed: &seed,
		Policy: PolicySpec{BaseURL: hs.URL + "/v1", Model: "policy", Tokens: true}, Limits: RolloutLimits{CallTimeoutS: 2}}
}

// TestRolloutGroupWithTokens: a group of four plays the task end to end
// (tool call, result, answer), each scored correct, with per-turn tokens as
// sampled and the flat sequence whose mask marks the sampled tokens; the
// same seed gives the same episode seeds; streaming on and off agree.
func TestRolloutGroupWithTokens(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			te, fp, p := newRollout(t, "")
			p.Policy.Stream = stream
			res, perr := te.engine.Rollout(context.Background(), "c", p, nil)
			if perr != nil {
				t.Fatal(perr)
			}
			if len(res.Episodes) != 4 || res.MeanReward != 1 || res.Failed != 0 || res.Seed != 42 {
				t.Fatalf("result %+v", res)
			}
			seeds := map[uint64]bool{}
			for _, ep := range res.Episodes {
				seeds[ep.Seed] = true
				if ep.Reward.Label != "correct" || ep.Turns != 2 || ep.ToolCalls != 1 || ep.Reason != ReasonAnswer || len(ep.Messages) < 4 {
					t.Fatalf("episode %+v", ep)
				}
				tt := ep.Tokens
				if tt == nil || tt.Missing != "" || len(tt.Turns) != 2 || len(tt.IDs) != len(tt.Mask) || len(tt.IDs) != len(tt.Logprobs) {
					t.Fatalf("tokens %+v", tt)
				}
				// The flat sequence is the last prompt plus the last completion;
				// the mask covers exactly the two completions.
				last := tt.Turns[1]
				want := append(append([]int(nil), last.PromptIDs...), last.CompletionIDs...)
				if fmt.Sprint(tt.IDs) != fmt.Sprint(want) {
					t.Fatalf("flat ids %v, want %v", tt.IDs, want)
				}
				sampled := 0
				for i, m := range tt.Mask {
					sampled += m
					if m == 0 && tt.Logprobs[i] != 0 {
						t.Fatalf("logprob on an unsampled token at %d", i)
					}
				}
				if sampled != len(tt.Turns[0].CompletionIDs)+len(last.CompletionIDs) || len(tt.Turns[0].Logprobs) != len(tt.Turns[0].CompletionIDs) {
					t.Fatalf("mask covers %d tokens; turns %+v", sampled, tt.Turns)
				}
			}
			if len(seeds) != 4 {
				t.Fatalf("episode seeds not distinct: %v", seeds)
			}
			again, _ := te.engine.Rollout(context.Background(), "c", p, nil)
			for i := range again.Episodes {
				if again.Episodes[i].Seed != res.Episodes[i].Seed {
					t.Fatalf("seed %d not reproduced", i)
				}
			}
			fp.mu.Lock()
			defer fp.mu.Unlock()
			if fp.calls != 16 || len(fp.seeds) != 8 { // 2 runs × 4 episodes × 2 turns; a seed per episode turn
				t.Fatalf("policy saw %d calls, %d seeds", fp.calls, len(fp.seeds))
			}
		})
	}
}

// TestRolloutPolicyFailures: an endpoint that errors or stalls ends each
// episode as a scored failure with the reason, and the group returns; a
// malformed tool call is the model's mistake, shown to it as a tool error;
// and with max_consecutive_invalid_tool_calls 1 it ends the episode; a
// server without token ids says so; a re-rendering template is detected.
func TestRolloutPolicyFailures(t *testing.T) {
	for _, tc := range []struct {
		mode, reason, errWant string
		maxInvalid            int
	}{
		{"error", ReasonPolicyError, "HTTP 500: CUDA out of memory", 0},
		{"stall", ReasonPolicyError, "did not answer within", 0},
		{"malformed", ReasonAnswer, "", 0},
		{"malformed", ReasonMaxConsecutiveInvalidToolCalls, "", 1},
		{"notokens", ReasonAnswer, "", 0},
		{"rerender", ReasonAnswer, "", 0},
	} {
		t.Run(fmt.Sprintf("%s,max_invalid=%d", tc.mode, tc.maxInvalid), func(t *testing.T) {
			te, _, p := newRollout(t, tc.mode)
			p.Limits.CallTimeoutS = 0.3
			p.Limits.MaxConsecutiveInvalidToolCalls = tc.maxInvalid
			start := time.Now()
			res, perr := te.engine.Rollout(context.Background(), "c", p, nil)
			if perr != nil {
				t.Fatal(perr)
			}
			if time.Since(start) > 4*time.Second {
				t.Fatalf("the group took %v", time.Since(start))
			}
			for _, ep := range res.Episodes {
				if ep.Reason != tc.reason || !strings.Contains(ep.Error, tc.errWant) || ep.Reward == nil {
					t.Fatalf("episode %+v", ep)
				}
				switch tc.mode {
				case "error", "stall":
					if ep.Reward.Score != 0 || res.Failed != 4 {
						t.Fatalf("a failed episode scored %v (failed %d)", ep.Reward.Score, res.Failed)
					}
				case "malformed":
					toolMsg := ep.Messages[3]
					if toolMsg.Role != "tool" || !strings.Contains(string(toolMsg.Content), "invalid_arguments") {
						t.Fatalf("the malformed call's result: %+v", toolMsg)
					}
					if wantTurns := 2 - tc.maxInvalid; ep.Turns != wantTurns || ep.Reward.Score != 0 && tc.maxInvalid > 0 || res.Failed != 0 {
						t.Fatalf("turns %d (want %d), score %v, failed %d", ep.Turns, wantTurns, ep.Reward.Score, res.Failed)
					}
				case "notokens":
					if ep.Tokens == nil || !strings.Contains(ep.Tokens.Missing, "no token ids") || ep.Tokens.IDs != nil {
						t.Fatalf("tokens %+v", ep.Tokens)
					}
				case "rerender":
					if ep.Tokens == nil || len(ep.Tokens.Turns) != 2 || ep.Tokens.IDs != nil || !strings.Contains(ep.Tokens.Missing, "does not extend") {
						t.Fatalf("tokens %+v", ep.Tokens)
					}
				}
			}
			if te.engine.OpenEpisodes() != 0 {
				t.Fatalf("%d episodes left open", te.engine.OpenEpisodes())
			}
		})
	}
}

// TestRolloutCapacity: beyond the caps a rollout is refused with capacity
// and a retry-after hint, never queued; bad requests are bad_request.
func TestRolloutCapacity(t *testing.T) {
	te, _, p := newRollout(t, "stall")
	te.engine.rollouts = newAdmission(6, 5)
	p.Limits.CallTimeoutS = 1
	done := make(chan struct{})
	go func() { _, _ = te.engine.Rollout(context.Background(), "a", p, nil); close(done) }()
	time.Sleep(100 * time.Millisecond)
	for _, tc := range []struct {
		client string
		n      int
	}{{"a", 1}, {"b", 4}} {
		q := p
		q.N = tc.n
		if tc.client == "a" {
			q.N = 2 // a's share: 4 + 2 > 5
		}
		_, perr := te.engine.Rollout(context.Background(), tc.client, q, nil)
		if perr == nil || perr.Code != CodeCapacity || perr.RetryAfterMS <= 0 {
			t.Fatalf("client %s n %d: %+v", tc.client, q.N, perr)
		}
	}
	<-done
	for _, bad := range []RolloutParams{{TaskID: p.TaskID, N: 65, Policy: p.Policy}, {TaskID: p.TaskID, Policy: PolicySpec{Model: "m"}}, {TaskID: "nope", Policy: p.Policy}} {
		if _, perr := te.engine.Rollout(context.Background(), "a", bad, nil); perr == nil || (perr.Code != CodeBadRequest && perr.Code != CodeUnknownTask) {
			t.Fatalf("%+v: %+v", bad, perr)
		}
	}
}

// TestRolloutOverTheWire: with stream, each episode arrives as a
// rollout.episode event under the request's id, then the summary.
func TestRolloutOverTheWire(t *testing.T) {
	te, _, p := newRollout(t, "")
	p.Stream = true
	ws, _, err := websocket.DefaultDialer.Dial(te.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"id": 7, "op": "rollout", "params": p}); err != nil {
		t.Fatal(err)
	}
	events := 0
	for {
		var f struct {
			ID     int             `json:"id"`
			Op     string          `json:"op"`
			Result json.RawMessage `json:"result"`
			Error  *Error          `json:"error"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		if f.ID != 7 || f.Error != nil {
			t.Fatalf("frame %+v", f)
		}
		if f.Op == OpRolloutEpisode {
			var ep RolloutEpisode
			if err := json.Unmarshal(f.Result, &ep); err != nil || ep.Reward == nil || ep.Reward.Label != "correct" || ep.Tokens == nil {
				t.Fatalf("event %s: %v", f.Result, err)
			}
			events++
			continue
		}
		var res RolloutResult
		if err := json.Unmarshal(f.Result, &res); err != nil || f.Op != OpRollout || res.N != 4 || res.MeanReward != 1 || len(res.Episodes) != 0 {
			t.Fatalf("final %s: %v", f.Result, err)
		}
		break
	}
	if events != 4 {
		t.Fatalf("%d episode events", events)
	}
}
