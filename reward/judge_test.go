package reward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dive-env/dive/tasks"
)

// fakeLLM answers POST /v1/chat/completions in the OpenAI wire format with
// the content reply returns for the request.
type fakeLLM struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newFakeLLM(t *testing.T, reply func(n int64, req map[string]any) (status int, content string, delay time.Duration)) *fakeLLM {
	t.Helper()
	f := &fakeLLM{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error": {"message": "not found", "type": "invalid_request_error"}}`, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer test-key" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}`)
			return
		}
		var req map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		status, content, delay := reply(n, req)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error": {"message": %q, "type": "server_error"}}`, content)
			return
		}
		resp := map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": 1764000000, "model": req["model"],
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) judge(t *testing.T, cfg JudgeConfig) *Judge {
	t.Helper()
	cfg.BaseURL, cfg.Model, cfg.APIKey = f.srv.URL+"/v1", "judge-model", "test-key"
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	j, err := NewJudge(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJudgeVerdictAndCache(t *testing.T) {
	var lastUser string
	f := newFakeLLM(t, func(n int64, req map[string]any) (int, string, time.Duration) {
		msgs := req["messages"].([]any)
		lastUser = msgs[1].(map[string]any)["content"].(string)
		return http.StatusOK, `{"label": "correct", "rationale": "Both name the same person."}`, 0
	})
	dir := t.TempDir()
	j := f.judge(t, JudgeConfig{CacheDir: dir})
	task := &tasks.Task{ID: "t", Question: "Who was the first Prime Minister?", GroundTruth: "Sükhbaataryn Yanjmaa"}
	res, err := j.Score(context.Background(), task, "<answer>Yanjmaa Sükhbaatar</answer>")
	if err != nil || res.Label != Correct || res.Score != 1 || !strings.Contains(res.Explanation, "same person") || res.Components["judge_cached"] != 0 {
		t.Fatalf("first verdict: %+v %v", res, err)
	}
	if !strings.Contains(lastUser, "Who was the first Prime Minister?") || !strings.Contains(lastUser, "Yanjmaa Sükhbaatar") {
		t.Fatalf("the prompt lacks the question or the response: %q", lastUser)
	}
	// The second call is answered from the cache: no request.
	res, err = j.Score(context.Background(), task, "<answer>Yanjmaa Sükhbaatar</answer>")
	if err != nil || res.Label != Correct || res.Components["judge_cached"] != 1 || f.requests.Load() != 1 {
		t.Fatalf("cached verdict: %+v %v, %d requests", res, err, f.requests.Load())
	}
	// A fresh judge on the same directory uses the disk cache too.
	j2 := f.judge(t, JudgeConfig{CacheDir: dir})
	if _, err := j2.Score(context.Background(), task, "<answer>Yanjmaa Sükhbaatar</answer>"); err != nil || f.requests.Load() != 1 {
		t.Fatalf("disk cache across judges: %v, %d requests", err, f.requests.Load())
	}
	// Another answer is another key.
	if _, err := j.Score(context.Background(), task, "<answer>Someone else</answer>"); err != nil || f.requests.Load() != 2 {
		t.Fatalf("a new answer must be judged: %v, %d requests", err, f.requests.Load())
	}
}

func TestJudgeFailuresAreLabelled(t *testing.T) {
	task := &tasks.Task{ID: "t", Question: "q", GroundTruth: "x"}
	t.Run("timeout", func(t *testing.T) {
		f := newFakeLLM(t, func(int64, map[string]any) (int, string, time.Duration) {
			return http.StatusOK, `{"label": "correct", "rationale": "late"}`, 2 * time.Second
		})
		j := f.judge(t, JudgeConfig{Timeout: 50 * time.Millisecond, Retries: 1})
		_, err := j.Score(context.Background(), task, "<answer>y</answer>")
		var je *JudgeError
		if !errors.As(err, &je) || je.Kind != "timeout" || je.Attempts != 2 || f.requests.Load() != 2 {
			t.Fatalf("timeout: %v (%d requests)", err, f.requests.Load())
		}
	})
	t.Run("retry after 503", func(t *testing.T) {
		f := newFakeLLM(t, func(n int64, _ map[string]any) (int, string, time.Duration) {
			if n == 1 {
				return http.StatusServiceUnavailable, "overloaded", 0
			}
			return http.StatusOK, "Label: partial\nOne of two values is right.", 0
		})
		j := f.judge(t, JudgeConfig{Rewards: LabelRewards{Correct: 1, Partial: 0.5}})
		res, err := j.Score(context.Background(), task, "<answer>y</answer>")
		if err != nil || res.Label != Partial || res.Score != 0.5 || f.requests.Load() != 2 {
			t.Fatalf("retry: %+v %v (%d requests)", res, err, f.requests.Load())
		}
	})
	t.Run("bad key is not retried", func(t *testing.T) {
		f := newFakeLLM(t, nil)
		j, _ := NewJudge(JudgeConfig{BaseURL: f.srv.URL + "/v1", Model: "m", APIKey: "wrong", Backoff: time.Millisecond})
		_, err := j.Score(context.Background(), task, "<answer>y</answer>")
		var je *JudgeError
		if !errors.As(err, &je) || je.Kind != "http_status" || !strings.Contains(err.Error(), "401") || f.requests.Load() != 1 {
			t.Fatalf("401: %v (%d requests)", err, f.requests.Load())
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		j, _ := NewJudge(JudgeConfig{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Retries: 1, Backoff: time.Millisecond})
		_, err := j.Score(context.Background(), task, "<answer>y</answer>")
		var je *JudgeError
		if !errors.As(err, &je) || je.Kind != "unreachable" || je.Attempts != 2 {
			t.Fatalf("unreachable: %v", err)
		}
	})
	t.Run("unparseable", func(t *testing.T) {
		f := newFakeLLM(t, func(int64, map[string]any) (int, string, time.Duration) {
			return http.StatusOK, "I think it is fine.", 0
		})
		_, err := f.judge(t, JudgeConfig{}).Score(context.Background(), task, "<answer>y</answer>")
		var je *JudgeError
		if !errors.As(err, &je) || je.Kind != "unparseable" {
			t.Fatalf("unparseable: %v", err)
		}
	})
}

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		in   string
		want Label
	}{
		{`{"label": "correct", "rationale": "same"}`, Correct},
		{"```json\n{\"label\": \"Partial\", \"rationale\": \"half\"}\n```", Partial},
		{`{"label":"incorrect","rationale":"no"}`, Incorrect},
		{"Label: partially correct\nbecause", Partial},
		{"**Label**: Incorrect", Incorrect},
		// The DIVE verifier's format, its fallback and its yes/no.
		{"JUDGEMENT: correct\nEXPLANATION: same value", Correct},
		{"JUDGEMENT: [partial]\nEXPLANATION: one part", Partial},
		{"**JUDGEMENT:** Incorrect\n**EXPLANATION:** differs", Incorrect},
		{"JUDGMENT: partially correct", Partial},
		{"CORRECT: yes", Correct},
		{"CORRECT: no", Incorrect},
	}
	for _, tc := range tests {
		v, err := parseVerdict(tc.in)
		if err != nil || v.Label != tc.want {
			t.Errorf("parseVerdict(%q) = %+v, %v; want %s", tc.in, v, err, tc.want)
		}
	}
	for _, bad := range []string{"", "maybe", `{"label": "great"}`} {
		if _, err := parseVerdict(bad); err == nil {
			t.Errorf("parseVerdict(%q) accepted", bad)
		}
	}
}

func TestHybrid(t *testing.T) {
	f := newFakeLLM(t, func(int64, map[string]any) (int, string, time.Duration) {
		return http.StatusOK, `{"label": "correct", "rationale": "A paraphrase of the reference."}`, 0
	})
	h := NewHybrid(NewMatch(DefaultMatchOptions()), f.judge(t, JudgeConfig{}), false)
	ctx := context.Background()
	// Numbers are decided without the judge, right or wrong.
	for _, resp := range []string{"<answer>57</answer>", "<answer>58</answer>"} {
		res, err := h.Score(ctx, &tasks.Task{ID: "t", GroundTruth: "57"}, resp)
		if err != nil || res.Components["judge_used"] != 0 || res.Scorer != HybridName {
			t.Fatalf("numeric: %+v %v", res, err)
		}
	}
	if f.requests.Load() != 0 {
		t.Fatalf("the judge was asked about a number")
	}
	// Free text that does not match goes to the judge.
	res, err := h.Score(ctx, &tasks.Task{ID: "t", GroundTruth: "the Treaty of Paris", Question: "Which treaty?"}, "<answer>the 1783 Paris peace treaty</answer>")
	if err != nil || res.Label != Correct || res.Components["judge_used"] != 1 || res.Components["deterministic"] != 0 || f.requests.Load() != 1 {
		t.Fatalf("text: %+v %v", res, err)
	}
	// A failing judge leaves the deterministic result, marked.
	broken, _ := NewJudge(JudgeConfig{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Retries: -1})
	h = NewHybrid(NewMatch(DefaultMatchOptions()), broken, false)
	res, err = h.Score(ctx, &tasks.Task{ID: "t", GroundTruth: "the Treaty of Paris"}, "<answer>the peace signed in Paris in 1783</answer>")
	if err != nil || res.Components["judge_failed"] != 1 || !strings.Contains(res.Explanation, "LLM judge failed (unreachable") || res.Label != Undecided || res.Score != 0 {
		t.Fatalf("broken judge, fallback mode: %+v %v", res, err)
	}
	// With always, the failure is the result.
	h = NewHybrid(NewMatch(DefaultMatchOptions()), broken, true)
	if _, err := h.Score(ctx, &tasks.Task{ID: "t", GroundTruth: "57"}, "<answer>57</answer>"); err == nil {
		t.Fatal("always mode hid a judge failure")
	}
}
