// Package rollout plays a teacher model on tasks through the episode
// engine (dive solve) and filters the trajectories: pass@k for RL sets,
// correct trajectories for SFT (dive filter).
package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// Solver rolls a teacher model out on tasks through the server's rollout
// machinery (Engine.Rollout: same tools, limits, rewards, policy calls and
// seeds as the rollout op); with a recorder on the engine, every episode
// becomes a trajectory.
type Solver struct {
	// Policy is the teacher endpoint; NewSolver sets four retries, as a
	// remote API wants. Set Policy.Limit to pace requests over all rollouts.
	Policy env.PolicySpec
	// CallTimeoutS bounds one attempt of a policy call (default 120 s).
	CallTimeoutS float64
	engine       *env.Engine
}

// NewSolver returns a solver for an OpenAI-compatible endpoint.
func NewSolver(baseURL, model, apiKey string, engine *env.Engine) (*Solver, error) {
	if baseURL == "" || model == "" {
		return nil, errors.New("solve needs a base URL and a model")
	}
	return &Solver{engine: engine, Policy: env.PolicySpec{BaseURL: baseURL, Model: model, APIKey: apiKey, Retries: 4}}, nil
}

// Solve plays a group of n episodes of a task (n ≤ env.MaxRolloutGroup);
// emit, when not nil, sees each episode as it ends. A policy that fails
// ends its episode with reason policy_error (recorded, and left out of pass
// rates); the error is for a group that could not start.
func (s *Solver) Solve(ctx context.Context, taskID string, n int, seed *uint64, emit func(*env.RolloutEpisode)) (*env.RolloutResult, error) {
	res, perr := s.engine.Rollout(ctx, "solve", env.RolloutParams{TaskID: taskID, N: n, Seed: seed, Policy: s.Policy,
		Limits: env.RolloutLimits{CallTimeoutS: s.CallTimeoutS}}, emit)
	if perr != nil {
		return nil, fmt.Errorf("%s: %w", taskID, perr)
	}
	return res, nil
}

// PassRates groups trajectories by task: the fraction labelled correct.
// Episodes the policy endpoint failed (env.PolicyFailed), and rewards that
// are no verdict (undecided, scoring_failed), say nothing about the task
// and are left out.
func PassRates(trajs []env.Trajectory) map[string][2]int {
	out := map[string][2]int{}
	for _, t := range trajs {
		if env.PolicyFailed(t.Reason) || (t.Reward != nil && (t.Reward.Label == reward.Undecided || t.Reward.Label == reward.ScoringFailed)) {
			continue
		}
		c := out[t.TaskID]
		c[1]++
		if t.Reward != nil && t.Reward.Label == reward.Correct {
			c[0]++
		}
		out[t.TaskID] = c
	}
	return out
}

// FilterRL keeps the tasks a policy solves sometimes but not always: pass
// rate within [minPass, maxPass] over at least minK rollouts (pass@k
// filtering for the RL set).
func FilterRL(ts []tasks.Task, trajs []env.Trajectory, minK int, minPass, maxPass float64) []tasks.Task {
	rates := PassRates(trajs)
	var out []tasks.Task
	for _, t := range ts {
		c, ok := rates[t.ID]
		if !ok || c[1] < minK {
			continue
		}
		p := float64(c[0]) / float64(c[1])
		if p >= minPass && p <= maxPass {
			out = append(out, t)
		}
	}
	return out
}

// SFTExample is a correct trajectory in OpenAI messages format.
type SFTExample struct {
	TaskID   string           `json:"task_id"`
	Messages []env.Message    `json:"messages"`
	Tools    []env.ToolSchema `json:"tools"`
}

// FilterSFT keeps the correct trajectories (rejection sampling for SFT).
func FilterSFT(trajs []env.Trajectory) []SFTExample {
	var out []SFTExample
	for _, t := range trajs {
		if t.Reward != nil && t.Reward.Label == reward.Correct {
			out = append(out, SFTExample{TaskID: t.TaskID, Messages: t.Messages, Tools: t.Tools})
		}
	}
	return out
}
