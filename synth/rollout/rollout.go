// Package rollout plays a teacher model on tasks through the episode
// engine (dive solve) and filters the trajectories: pass@k for RL sets,
// correct trajectories for SFT (dive filter).
package rollout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/internal/chatcall"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// Solver rolls a teacher model out on tasks through the same episode
// machinery as the server (same tools, limits and rewards); with a
// recorder on the engine, every episode becomes a trajectory.
type Solver struct {
	client  *openai.Client
	model   string
	engine  *env.Engine
	timeout time.Duration
	// Limit paces requests over all rollouts (nil: no limit).
	Limit *rate.Limiter
}

// NewSolver returns a solver for an OpenAI-compatible endpoint.
func NewSolver(baseURL, model, apiKey string, engine *env.Engine, httpClient *http.Client) (*Solver, error) {
	if baseURL == "" || model == "" {
		return nil, errors.New("solve needs a base URL and a model")
	}
	oc := openai.DefaultConfig(apiKey)
	oc.BaseURL = strings.TrimRight(baseURL, "/")
	if httpClient != nil {
		oc.HTTPClient = httpClient
	}
	return &Solver{client: openai.NewClientWithConfig(oc), model: model, engine: engine, timeout: 120 * time.Second}, nil
}

// Rollout plays one episode of a task and returns its final step (with the reward).
func (s *Solver) Rollout(ctx context.Context, taskID string) (*env.StepResult, error) {
	r, perr := s.engine.Reset(ctx, env.ResetParams{TaskID: taskID})
	if perr != nil {
		return nil, fmt.Errorf("reset %s: %s", taskID, perr.Message)
	}
	var msgs []openai.ChatCompletionMessage
	for _, m := range r.Messages {
		msgs = append(msgs, env.ToOpenAI(m))
	}
	tools := env.OpenAITools(r.Tools)
	for {
		resp, _, err := chatcall.Complete(ctx, s.client, openai.ChatCompletionRequest{Model: s.model, Messages: msgs, Tools: tools},
			chatcall.Options{Timeout: s.timeout, Retries: 4, Backoff: time.Second, Limit: s.Limit})
		if err != nil {
			_, _ = s.engine.Close(r.Episode)
			return nil, fmt.Errorf("%s: chat completion: %w", taskID, err)
		}
		if len(resp.Choices) == 0 {
			return nil, fmt.Errorf("%s: chat completion without choices", taskID)
		}
		am := resp.Choices[0].Message
		msg := env.AssistantFromOpenAI(am.Content, am.ToolCalls)
		step, perr := s.engine.Step(ctx, env.StepParams{Episode: r.Episode, Message: &msg})
		if perr != nil {
			return nil, fmt.Errorf("%s: step: %s", taskID, perr.Message)
		}
		msgs = append(msgs, env.ToOpenAI(msg))
		for _, m := range step.Messages {
			msgs = append(msgs, env.ToOpenAI(m))
		}
		if step.Done {
			return step, nil
		}
	}
}

// PassRates groups trajectories by task: the fraction labelled correct.
func PassRates(trajs []env.Trajectory) map[string][2]int {
	out := map[string][2]int{}
	for _, t := range trajs {
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
