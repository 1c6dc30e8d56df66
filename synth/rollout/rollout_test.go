package rollout

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// A teacher on loopback that computes with the calculator and answers.
func fakeTeacher(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []map[string]any `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
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
	s, err := NewSolver(fakeTeacher(t).URL+"/v1", "teacher", "", eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"right", "wrong", "right"} {
		step, err := s.Rollout(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := reward.Correct
		if id == "wrong" {
			want = reward.Incorrect
		}
		if !step.Done || step.Reward.Label != want {
			t.Fatalf("%s: %+v", id, step.Reward)
		}
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
	if len(trajs) != 3 || len(trajs[0].Messages) != 5 || trajs[0].Messages[2].Role != "assistant" || len(trajs[0].ToolCalls) != 1 {
		t.Fatalf("trajectories %+v", trajs)
	}
	rates := PassRates(trajs)
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
