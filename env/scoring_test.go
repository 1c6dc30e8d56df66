package env

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// brokenScorer fails like an unreachable LLM judge.
type brokenScorer struct{}

func (brokenScorer) Name() string { return "broken" }
func (brokenScorer) Score(context.Context, *tasks.Task, string) (reward.Result, error) {
	return reward.Result{}, &reward.JudgeError{Kind: "unreachable", Attempts: 2, Err: errors.New("connection refused")}
}

// A scorer that fails ends the episode with a reward labelled
// scoring_failed, never a silent 0.
func TestScoringFailureIsLabelled(t *testing.T) {
	reg, err := defaults.Registry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := defaults.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	scorers := reward.NewRegistry()
	scorers.Register(brokenScorer{})
	if err := scorers.SetDefault("broken"); err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(DefaultEngineConfig(), set, reg, scorers, nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, perr := eng.Reset(ctx, ResetParams{TaskID: ts[0].ID})
	if perr != nil {
		t.Fatal(perr)
	}
	res, perr := eng.Step(ctx, StepParams{Episode: r.Episode, Message: &Message{Role: "assistant", Content: "<answer>42</answer>"}})
	if perr != nil {
		t.Fatal(perr)
	}
	if !res.Done || res.Reward == nil || res.Reward.Label != reward.ScoringFailed || res.Reward.Scorer != "broken" ||
		res.Reward.Components["scoring_failed"] != 1 ||
		res.Reward.Explanation != "scoring failed: score task "+ts[0].ID+" with broken: LLM judge failed (unreachable after 2 attempt(s)): connection refused" {
		t.Fatalf("reward %+v", res.Reward)
	}
}

// With reward weights, the reward charges for failed tool calls, credits a
// tagged answer, and each step reports its shaping.
func TestShapedReward(t *testing.T) {
	reg, err := defaults.Registry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := defaults.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultEngineConfig()
	cfg.Weights = reward.Weights{Correctness: 0.9, Format: 0.1, ToolError: 0.05, StepToolError: 0.1}
	eng, err := NewEngine(cfg, set, reg, reward.NewRegistry(), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	task := ts[0]
	r, perr := eng.Reset(ctx, ResetParams{TaskID: task.ID})
	if perr != nil {
		t.Fatal(perr)
	}
	bad := &Message{Role: "assistant", ToolCalls: []ToolCall{{ID: "c1", Type: "function", Function: FunctionCall{Name: "no_such_tool", Arguments: "{}"}}}}
	step, perr := eng.Step(ctx, StepParams{Episode: r.Episode, Message: bad})
	if perr != nil {
		t.Fatal(perr)
	}
	if step.Info.Shaping == nil || *step.Info.Shaping != -0.1 {
		t.Fatalf("step shaping %v", step.Info.Shaping)
	}
	step, perr = eng.Step(ctx, StepParams{Episode: r.Episode, Message: &Message{Role: "assistant", Content: Content("<answer>" + task.GroundTruth + "</answer>")}})
	if perr != nil {
		t.Fatal(perr)
	}
	rw := step.Reward
	if rw == nil || math.Abs(rw.Score-(0.9+0.1-0.05)) > 1e-9 || rw.Label != reward.Correct || rw.Components["tool_errors"] != 1 || rw.Components["turns"] != 2 ||
		*step.Info.Shaping != 0 {
		t.Fatalf("shaped reward %+v, shaping %v", rw, step.Info.Shaping)
	}
}
