package env

import (
	"context"
	"errors"
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
