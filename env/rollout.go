package env

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dive-env/dive/reward"
)

// RolloutParams ask the server to run a group of episodes of one task
// against the trainer's policy endpoint.
type RolloutParams struct {
	// TaskID or Sample picks the task; the whole group runs it.
	TaskID string      `json:"task_id,omitempty"`
	Sample *SampleSpec `json:"sample,omitempty"`
	// N is the group size (GRPO's G): 1 to 64, default 1.
	N      int           `json:"n,omitempty"`
	Policy PolicySpec    `json:"policy"`
	Limits RolloutLimits `json:"limits,omitempty"`
	// Seed, with the episode's index, decides each episode's sampling seed
	// and tool randomness; absent, one is drawn and reported.
	Seed *uint64 `json:"seed,omitempty"`
	// Stream sends each episode as a rollout.episode event when it ends;
	// the final reply then carries the summary only.
	Stream bool `json:"stream,omitempty"`
}

// RolloutLimits bound a rollout's episodes.
type RolloutLimits struct {
	MaxTurns     int `json:"max_turns,omitempty"`
	MaxToolCalls int `json:"max_tool_calls,omitempty"`
	// MaxConsecutiveInvalidToolCalls ends an episode after that many
	// invalid tool calls in a row (EpisodeLimits says which are invalid).
	MaxConsecutiveInvalidToolCalls int `json:"max_consecutive_invalid_tool_calls,omitempty"`
	// CallTimeoutS bounds one policy call (default 120 s); DeadlineS the
	// whole rollout (default: the server's episode deadline).
	CallTimeoutS float64 `json:"call_timeout_s,omitempty"`
	DeadlineS    float64 `json:"deadline_s,omitempty"`
}

// RolloutEpisode is one finished episode of a rollout.
type RolloutEpisode struct {
	Index   int    `json:"index"`
	Seed    uint64 `json:"seed"`
	Episode string `json:"episode"`
	TaskID  string `json:"task_id"`
	// Messages is the whole conversation: system, user, assistant and tool.
	Messages  []Message      `json:"messages"`
	Tools     []ToolSchema   `json:"tools"`
	Reward    *reward.Result `json:"reward"`
	Reason    string         `json:"reason"`
	Turns     int            `json:"turns"`
	ToolCalls int            `json:"tool_calls"`
	// Error says why the policy failed, when Reason is policy_error or
	// rollout_deadline.
	Error  string      `json:"error,omitempty"`
	Tokens *TokenTrace `json:"tokens,omitempty"`
	// DurationMS is the episode's wall time; PolicyMS the part spent
	// waiting for the policy.
	DurationMS float64 `json:"duration_ms"`
	PolicyMS   float64 `json:"policy_ms"`
}

// RolloutResult answers rollout: the group, or with Stream its summary.
type RolloutResult struct {
	TaskID   string           `json:"task_id"`
	N        int              `json:"n"`
	Seed     uint64           `json:"seed"`
	Episodes []RolloutEpisode `json:"episodes,omitempty"`
	// MeanReward and Failed summarize the group (Failed: policy failures).
	MeanReward float64 `json:"mean_reward"`
	Failed     int     `json:"failed"`
}

// MaxRolloutGroup is the largest group one rollout runs.
const MaxRolloutGroup = 64

// admission counts rollout episodes running, overall and per client.
type admission struct {
	mu        sync.Mutex
	max, per  int
	total     int
	perClient map[string]int
}

func newAdmission(max, per int) *admission {
	return &admission{max: max, per: per, perClient: map[string]int{}}
}

// admit takes n slots for client, or says why not.
func (a *admission) admit(client string, n int) *Error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.total+n > a.max:
		return &Error{Code: CodeCapacity, Message: fmt.Sprintf("the server runs %d of its %d rollout episodes; %d more do not fit", a.total, a.max, n),
			RetryAfterMS: retryAfter.Milliseconds()}
	case a.perClient[client]+n > a.per:
		return &Error{Code: CodeCapacity, Message: fmt.Sprintf("this client runs %d of its %d rollout episodes; %d more do not fit", a.perClient[client], a.per, n),
			RetryAfterMS: retryAfter.Milliseconds()}
	}
	a.total += n
	a.perClient[client] += n
	return nil
}

func (a *admission) release(client string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total -= n
	if a.perClient[client] -= n; a.perClient[client] <= 0 {
		delete(a.perClient, client)
	}
}

// Rollout runs a group of episodes of one task concurrently against the
// policy, through the same episodes, tools and rewards as reset/step. emit,
// when not nil, is called with each episode as it ends (from the episode's
// goroutine). client names the caller for its share of the capacity.
func (e *Engine) Rollout(ctx context.Context, client string, p RolloutParams, emit func(*RolloutEpisode)) (*RolloutResult, *Error) {
	if p.N == 0 {
		p.N = 1
	}
	switch {
	case p.N < 0 || p.N > MaxRolloutGroup:
		return nil, errorf(CodeBadRequest, "n must be 1 to %d", MaxRolloutGroup)
	case p.Policy.BaseURL == "" || p.Policy.Model == "":
		return nil, errorf(CodeBadRequest, "policy needs base_url and model")
	case p.Limits.CallTimeoutS < 0 || p.Limits.DeadlineS < 0 || p.Limits.MaxTurns < 0 || p.Limits.MaxToolCalls < 0 ||
		p.Limits.MaxConsecutiveInvalidToolCalls < 0:
		return nil, errorf(CodeBadRequest, "limits must not be negative")
	case p.Policy.API != "" && p.Policy.API != PolicyAPIChat && p.Policy.API != PolicyAPICompletions:
		return nil, errorf(CodeBadRequest, "policy api %q: chat or completions", p.Policy.API)
	case p.Policy.Template != "" && !slices.Contains(Templates, p.Policy.Template):
		return nil, errorf(CodeBadRequest, "policy template %q: the completions API knows %s", p.Policy.Template, strings.Join(Templates, ", "))
	case p.Policy.Template != "" && p.Policy.API != PolicyAPICompletions:
		return nil, errorf(CodeBadRequest, "policy template is for api completions; chat uses the policy server's template")
	}
	task, perr := e.pickTask(ResetParams{TaskID: p.TaskID, Sample: p.Sample})
	if perr != nil {
		return nil, perr
	}
	if perr := e.rollouts.admit(client, p.N); perr != nil {
		return nil, perr
	}
	defer e.rollouts.release(client, p.N)
	seed := uint64(0)
	if p.Seed != nil {
		seed = *p.Seed
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) >> 11
	}
	deadline := e.cfg.EpisodeDeadline
	if p.Limits.DeadlineS > 0 {
		deadline = time.Duration(p.Limits.DeadlineS * float64(time.Second))
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	out := &RolloutResult{TaskID: task.ID, N: p.N, Seed: seed}
	episodes := make([]RolloutEpisode, p.N)
	var wg sync.WaitGroup
	for i := range p.N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			episodes[i] = e.rolloutEpisode(ctx, task.ID, i, episodeSeed(seed, i), p)
			if emit != nil {
				emit(&episodes[i])
			}
		}()
	}
	wg.Wait()
	for _, ep := range episodes {
		if ep.Reward != nil {
			out.MeanReward += ep.Reward.Score / float64(p.N)
		}
		if PolicyFailed(ep.Reason) {
			out.Failed++
		}
	}
	if !p.Stream {
		out.Episodes = episodes
	}
	return out, nil
}

// episodeSeed mixes a seed and an index (SplitMix64) into 53 bits, which
// JSON numbers hold exactly in every client: the episode's seed from the
// group's and its index, a turn's sampling seed from the episode's and the turn.
func episodeSeed(seed uint64, index int) uint64 {
	z := seed + uint64(index+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) >> 11
}

// rolloutEpisode plays one episode: reset, then policy turn and step until
// the episode ends or the policy fails.
func (e *Engine) rolloutEpisode(ctx context.Context, taskID string, index int, seed uint64, p RolloutParams) RolloutEpisode {
	start := time.Now()
	out := RolloutEpisode{Index: index, Seed: seed, TaskID: taskID}
	completions := p.Policy.API == PolicyAPICompletions
	opts := EpisodeOptions{MaxTurns: p.Limits.MaxTurns, MaxToolCalls: p.Limits.MaxToolCalls,
		MaxConsecutiveInvalidToolCalls: p.Limits.MaxConsecutiveInvalidToolCalls, Seed: &seed}
	if completions {
		opts.ToolCallFormat = FormatHermes // the completion's <tool_call> blocks are the calls
	}
	r, perr := e.Reset(ctx, ResetParams{TaskID: taskID, Options: opts})
	if perr != nil {
		out.Reason, out.Error = ReasonPolicyError, "reset: "+perr.Message
		z := reward.Zero(out.Error)
		out.Reward = &z
		return out
	}
	out.Episode, out.Tools = r.Episode, r.Tools
	defer func() { _, _ = e.Close(r.Episode) }()
	// Chat mode sends the messages and the task's tools; completions mode
	// its own rendering of them.
	var msgs []openai.ChatCompletionMessage
	var tools json.RawMessage
	var prompt completionsPrompt
	if completions {
		prompt = completionsPrompt{text: renderChatML(p.Policy.Template, r.Messages, r.Tools, nil), tokenMode: p.Policy.Tokens}
	} else {
		msgs = make([]openai.ChatCompletionMessage, 0, len(r.Messages)+8)
		for _, m := range r.Messages {
			msgs = append(msgs, ToOpenAI(m))
		}
		var err error
		if tools, err = e.encodedTools(taskID, r.Tools); err != nil {
			out.Reason, out.Error = ReasonPolicyError, "encode tools: "+err.Error()
			e.stop(r.Episode, ReasonPolicyError)
			z := reward.Zero(out.Error)
			out.Reward = &z
			return out
		}
	}
	callTimeout := 120 * time.Second
	if p.Limits.CallTimeoutS > 0 {
		callTimeout = time.Duration(p.Limits.CallTimeoutS * float64(time.Second))
	}
	var trace *TokenTrace
	if p.Policy.Tokens {
		trace = &TokenTrace{}
	}
	var policyTime time.Duration
	fail := func(reason, msg string) {
		out.Error = msg
		e.stop(r.Episode, reason)
	}
	for turn := 1; ; turn++ {
		turnSeed := int64(episodeSeed(seed, turn))
		call := func(ctx context.Context) (*policyTurn, error) {
			if completions {
				return e.policies.completionsCall(ctx, p.Policy, prompt.text, prompt.ids, turnSeed)
			}
			return e.policies.callPolicy(ctx, p.Policy, msgs, tools, turnSeed)
		}
		pt, timedOut, d, err := e.policies.callWithRetries(ctx, p.Policy, callTimeout, call)
		policyTime += d
		if err != nil {
			switch {
			case ctx.Err() != nil:
				fail(ReasonRolloutDeadline, fmt.Sprintf("the rollout's deadline passed during turn %d's policy call", turn))
			case timedOut:
				fail(ReasonPolicyError, fmt.Sprintf("turn %d: the policy did not answer within %v", turn, callTimeout))
			default:
				fail(ReasonPolicyError, fmt.Sprintf("turn %d: policy call: %v", turn, policyError(err)))
			}
			break
		}
		if trace != nil {
			if pt.tokens == nil {
				trace.miss(turn, pt.missing)
			} else {
				pt.tokens.Turn = turn
				trace.Turns = append(trace.Turns, *pt.tokens)
			}
		}
		sp := StepParams{Episode: r.Episode, Turn: turn, Message: &pt.message}
		if completions {
			sp = StepParams{Episode: r.Episode, Turn: turn, Text: &pt.raw}
		}
		step, perr := e.Step(ctx, sp)
		if perr != nil {
			fail(ReasonPolicyError, fmt.Sprintf("turn %d: step: %s", turn, perr.Message))
			break
		}
		if step.Done {
			break
		}
		if completions {
			t0 := time.Now()
			why := e.policies.advance(ctx, p.Policy, &prompt, pt, step.Messages)
			policyTime += time.Since(t0)
			if why != "" && trace != nil {
				trace.miss(turn, why)
			}
			continue
		}
		msgs = append(msgs, ToOpenAI(pt.message))
		for _, m := range step.Messages {
			msgs = append(msgs, ToOpenAI(m))
		}
	}
	st, perr := e.State(r.Episode)
	if perr == nil {
		out.Messages, out.Reward, out.Reason, out.Turns, out.ToolCalls = st.Messages, st.Reward, st.Reason, st.Turns, st.ToolCalls
	}
	if trace != nil {
		trace.flatten()
		out.Tokens = trace
	}
	out.DurationMS, out.PolicyMS = ms(time.Since(start)), ms(policyTime)
	return out
}

// encodedTools is a task's tools as OpenAI's tools array (the schemas'
// own layout), encoded once per task.
func (e *Engine) encodedTools(taskID string, schemas []ToolSchema) (json.RawMessage, error) {
	if v, ok := e.toolsJSON.Load(taskID); ok {
		return v.(json.RawMessage), nil
	}
	b, err := json.Marshal(schemas)
	if err != nil {
		return nil, err
	}
	e.toolsJSON.Store(taskID, json.RawMessage(b))
	return b, nil
}

// policyError shortens go-openai's errors to what the trainer needs.
func policyError(err error) string {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("HTTP %d: %s", apiErr.HTTPStatusCode, apiErr.Message)
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return fmt.Sprintf("HTTP %d: %v", reqErr.HTTPStatusCode, reqErr.Err)
	}
	return err.Error()
}
