package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// rolloutCmd runs GRPO groups against a policy endpoint: in this process
// over the embedded (or given) tasks and tools, or through a running dive
// serve's rollout op with --server. Each episode is one JSON line.
func rolloutCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rollout", "dive rollout [TASKS...] --policy-url URL --model M (--task ID ... | --split S | --sample-domain D) [--n 8] [--out EPISODES.jsonl] [--server ws://HOST:PORT/]", stderr)
	var taskIDs stringList
	fs.Var(&taskIDs, "task", "task id to roll out (repeatable; each is one group)")
	split := fs.String("split", "", "roll out every task of this split")
	sampleDomain := fs.String("sample-domain", "", "roll out one task sampled from this domain (the server samples it)")
	n := fs.Int("n", 1, fmt.Sprintf("episodes per group (1-%d)", env.MaxRolloutGroup))
	policyURL := fs.String("policy-url", os.Getenv("DIVE_POLICY_URL"), "OpenAI-compatible base URL of the policy, e.g. http://127.0.0.1:8000/v1 (key from $DIVE_POLICY_API_KEY)")
	model := fs.String("model", os.Getenv("DIVE_POLICY_MODEL"), "model name the policy server serves")
	api := fs.String("api", env.PolicyAPIChat, "chat (chat completions with tools) or completions (raw completions with --template)")
	template := fs.String("template", "", "chat template for --api completions: "+strings.Join(env.Templates, " or "))
	temperature := fs.Float64("temperature", -1, "sampling temperature (-1: the server's default)")
	topP := fs.Float64("top-p", -1, "nucleus sampling (-1: the server's default)")
	maxTokens := fs.Int("max-tokens", 0, "tokens per policy call at most (0: the server's default)")
	tokens := fs.Bool("tokens", false, "keep token ids and logprobs (vLLM)")
	streamCalls := fs.Bool("stream-calls", false, "call the policy with server-sent events")
	retries := fs.Int("retries", 0, "more attempts after a policy call that fails with 429, 5xx or a timeout")
	seed := fs.Int64("seed", -1, "group seed (-1: drawn and reported)")
	maxTurns := fs.Int("max-turns", 0, "assistant turns per episode (0: the task's or server's)")
	maxToolCalls := fs.Int("max-tool-calls", 0, "tool calls per episode (0: the task's or server's)")
	maxInvalidCalls := fs.Int("max-consecutive-invalid-tool-calls", 0, "end an episode after this many invalid tool calls in a row (0: the server's)")
	callTimeout := fs.Duration("call-timeout", 120*time.Second, "one policy call")
	deadline := fs.Duration("deadline", 0, "the whole group (0: the server's episode deadline)")
	out := fs.String("out", "", "episodes as JSON lines (default: stdout)")
	server := fs.String("server", "", "send the rollout to this dive serve (ws:// or wss:// URL; token from $DIVE_TOKEN) instead of running it here")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	picks := 0
	for _, set := range []bool{len(taskIDs) > 0, *split != "", *sampleDomain != ""} {
		if set {
			picks++
		}
	}
	switch {
	case *policyURL == "" || *model == "":
		return usagef("rollout needs --policy-url and --model")
	case picks != 1:
		return usagef("rollout needs one of --task, --split or --sample-domain")
	case *maxInvalidCalls < 0:
		return usagef("--max-consecutive-invalid-tool-calls must not be negative")
	case *n < 1 || *n > env.MaxRolloutGroup:
		return usagef("--n must be 1 to %d", env.MaxRolloutGroup)
	case *server != "" && (len(files) > 0 || *split != ""):
		return usagef("with --server the server's tasks are used: give --task or --sample-domain, no task files or --split")
	}
	p := env.RolloutParams{N: *n, Stream: true,
		Policy: env.PolicySpec{BaseURL: *policyURL, Model: *model, APIKey: os.Getenv("DIVE_POLICY_API_KEY"), API: *api, Template: *template,
			MaxTokens: *maxTokens, Stream: *streamCalls, Tokens: *tokens, Retries: *retries},
		Limits: env.RolloutLimits{MaxTurns: *maxTurns, MaxToolCalls: *maxToolCalls, MaxConsecutiveInvalidToolCalls: *maxInvalidCalls, CallTimeoutS: callTimeout.Seconds(), DeadlineS: deadline.Seconds()}}
	if *temperature >= 0 {
		p.Policy.Temperature = temperature
	}
	if *topP >= 0 {
		p.Policy.TopP = topP
	}
	if *seed >= 0 {
		s := uint64(*seed)
		p.Seed = &s
	}
	w := stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("rollout: %w", err)
		}
		defer f.Close()
		w = f
	}
	sink := &episodeSink{w: w}
	var run func(p env.RolloutParams) (*env.RolloutResult, error)
	var groups []env.RolloutParams
	if *server != "" {
		run = func(p env.RolloutParams) (*env.RolloutResult, error) {
			return remoteRollout(ctx, *server, os.Getenv("DIVE_TOKEN"), p, sink.write)
		}
	} else {
		reg, set, started, err := loadTaskSet(files, stderr)
		if err != nil {
			return err
		}
		defer started.Close()
		cfg := env.DefaultEngineConfig()
		cfg.MaxRolloutEpisodes = max(cfg.MaxRolloutEpisodes, *n)
		eng, err := env.NewEngine(cfg, set, reg, reward.NewRegistry(), nil, discardLogger())
		if err != nil {
			return err
		}
		if *split != "" {
			for _, t := range set.Filter(tasks.Filter{Split: *split}) {
				taskIDs = append(taskIDs, t.ID)
			}
			if len(taskIDs) == 0 {
				return usagef("no task has split %q", *split)
			}
		}
		run = func(p env.RolloutParams) (*env.RolloutResult, error) {
			res, perr := eng.Rollout(ctx, "cli", p, func(ep *env.RolloutEpisode) { sink.write(ep) })
			if perr != nil {
				return nil, perr
			}
			return res, nil
		}
	}
	for _, id := range taskIDs {
		g := p
		g.TaskID = id
		groups = append(groups, g)
	}
	if *sampleDomain != "" {
		g := p
		g.Sample = &env.SampleSpec{Filter: tasks.Filter{Domain: *sampleDomain}}
		groups = append(groups, g)
	}
	failedGroups := 0
	for _, g := range groups {
		res, err := run(g)
		if err != nil {
			failedGroups++
			fmt.Fprintf(stderr, "%s: %v\n", firstNonEmpty(g.TaskID, "sample "+*sampleDomain), err)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		fmt.Fprintf(stderr, "%s: %d episodes, seed %d, mean reward %.3f, %d policy failures\n", res.TaskID, res.N, res.Seed, res.MeanReward, res.Failed)
	}
	if sink.err != nil {
		return fmt.Errorf("rollout: write episodes: %w", sink.err)
	}
	if failedGroups > 0 {
		return fmt.Errorf("rollout: %d of %d groups could not run", failedGroups, len(groups))
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// episodeSink writes episodes as JSON lines as they end, from any goroutine.
type episodeSink struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (s *episodeSink) write(ep *env.RolloutEpisode) {
	line, err := json.Marshal(ep)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		_, err = s.w.Write(append(line, '\n'))
	}
	if err != nil && s.err == nil {
		s.err = err
	}
}

// remoteRollout sends one rollout to a dive server over the JSON protocol
// and hands each streamed episode to emit.
func remoteRollout(ctx context.Context, url, token string, p env.RolloutParams, emit func(*env.RolloutEpisode)) (*env.RolloutResult, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{"dive.v1.json"}}
	var h http.Header
	if token != "" {
		h = http.Header{"Authorization": {"Bearer " + token}}
	}
	ws, _, err := d.DialContext(ctx, url, h)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	if err := ws.WriteJSON(map[string]any{"id": 1, "op": env.OpRollout, "params": p}); err != nil {
		return nil, fmt.Errorf("send rollout: %w", err)
	}
	for {
		var resp struct {
			ID     int64           `json:"id"`
			Op     string          `json:"op"`
			Result json.RawMessage `json:"result"`
			Error  *env.Error      `json:"error"`
		}
		if err := ws.ReadJSON(&resp); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("read reply: %w", err)
		}
		if resp.Error != nil {
			return nil, resp.Error
		}
		switch resp.Op {
		case env.OpRolloutEpisode:
			var ep env.RolloutEpisode
			if err := json.Unmarshal(resp.Result, &ep); err != nil {
				return nil, fmt.Errorf("rollout.episode: %w", err)
			}
			emit(&ep)
		case env.OpRollout:
			var res env.RolloutResult
			if err := json.Unmarshal(resp.Result, &res); err != nil {
				return nil, fmt.Errorf("rollout reply: %w", err)
			}
			return &res, nil
		}
	}
}
