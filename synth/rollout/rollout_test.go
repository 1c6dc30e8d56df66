package rollout

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// A teacher on loopback that computes with the calculator and answers.
// Its first answer is a 503 (the solver retries); a question that mentions
// "refuse" gets a 400 every time (the episode fails, recorded as
// policy_error).
func fakeTeacher(t *testing.T) *httptest.Server {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []map[string]any `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if calls.Add(1) == 1 {
			http.Error(w, `{"error":{"message":"warming up"}}`, http.StatusServiceUnavailable)
			return
		}
		if q, _ := req.Messages[1]["content"].(string); strings.Contains(q, "refuse") {
			http.Error(w, `{"error":{"message":"no"}}`, http.StatusBadRequest)
			return
		}
		last := req.Messages[len(req.Messages)-1]
		message := map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": "c1", "type": "function",
			"function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}}}
		if last["role"] == "tool" {
			message = map[string]any{"role": "assistant", "content": "The product is <answer>391</answer>."}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "teacher",
			"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": "stop"}}, "usage": map[string]any{"total_tokens": 3}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

const tCalc = "general.math.calculator"

func TestSolveAndFilter(t *testing.T) {
	reg, err := builtin.NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts := []tasks.Task{
		{ID: "right", Question: "What is 17 times 23?", GroundTruth: "391", Tools: []string{tCalc}},
		{ID: "wrong", Question: "What is 17 times 23, plus 9?", GroundTruth: "400", Tools: []string{tCalc}},
		{ID: "refused", Question: "What is 17 times 23? (the teacher will refuse)", GroundTruth: "391", Tools: []string{tCalc}},
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "traj.jsonl")
	rec, err := env.OpenRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := env.NewEngine(env.DefaultEngineConfig(), set, reg, reward.NewRegistry(), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSolver(fakeTeacher(t).URL+"/v1", "teacher", "", eng)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   string
		n    int
		want reward.Label
	}{{"right", 2, reward.Correct}, {"wrong", 1, reward.Incorrect}, {"refused", 1, reward.Incorrect}} {
		var emitted atomic.Int64
		res, err := s.Solve(context.Background(), c.id, c.n, nil, func(*env.RolloutEpisode) { emitted.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Episodes) != c.n || emitted.Load() != int64(c.n) {
			t.Fatalf("%s: %d episodes, %d emitted, want %d", c.id, len(res.Episodes), emitted.Load(), c.n)
		}
		for _, ep := range res.Episodes {
			if ep.Reward == nil || ep.Reward.Label != c.want {
				t.Fatalf("%s: %+v", c.id, ep)
			}
			if failed := c.id == "refused"; failed != (ep.Reason == env.ReasonPolicyError) || failed && !strings.Contains(ep.Error, "HTTP 400") {
				t.Fatalf("%s: reason %q error %q", c.id, ep.Reason, ep.Error)
			}
		}
	}
	if _, err := s.Solve(context.Background(), "nope", 1, nil, nil); err == nil || !strings.Contains(err.Error(), "unknown_task") {
		t.Fatalf("unknown task: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var trajs []env.Trajectory
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var tr env.Trajectory
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatal(err)
		}
		trajs = append(trajs, tr)
	}
	sort.Slice(trajs, func(i, j int) bool { return trajs[i].TaskID < trajs[j].TaskID })
	if len(trajs) != 4 || trajs[0].TaskID != "refused" || trajs[0].Reason != env.ReasonPolicyError {
		t.Fatalf("trajectories %+v", trajs)
	}
	trajs = trajs[1:]
	if len(trajs[0].Messages) != 5 || trajs[0].Messages[2].Role != "assistant" || len(trajs[0].ToolCalls) != 1 {
		t.Fatalf("trajectories %+v", trajs)
	}
	rates := PassRates(append(trajs, env.Trajectory{TaskID: "right", Reason: env.ReasonPolicyError},
		env.Trajectory{TaskID: "wrong", Reason: "answer", Reward: &reward.Result{Label: reward.Undecided}},
		env.Trajectory{TaskID: "wrong", Reason: "answer", Reward: &reward.Result{Label: reward.ScoringFailed}}))
	if rates["right"] != [2]int{2, 2} || rates["wrong"] != [2]int{0, 1} {
		t.Fatalf("pass rates %v", rates)
	}
	if kept := FilterRL(ts, trajs, 1, 0.01, 0.99); len(kept) != 0 {
		t.Fatalf("always- and never-solved tasks kept: %v", kept)
	}
	if kept := FilterRL(ts, trajs, 2, 0.5, 1); len(kept) != 1 || kept[0].ID != "right" {
		t.Fatalf("pass@2 filter: %v", kept)
	}
	if sft := FilterSFT(trajs); len(sft) != 2 || sft[0].TaskID != "right" || len(sft[0].Tools) != 1 {
		t.Fatalf("SFT examples %v", sft)
	}
}
