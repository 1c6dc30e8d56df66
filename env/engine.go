package env

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// DefaultSystemPrompt is the system message of an episode whose task and
// options give none.
const DefaultSystemPrompt = "You are a helpful assistant that answers questions by calling the tools provided. " +
	"Call tools whenever they help, several at once when they are independent, and base your answer on their results. " +
	"When you are done, reply without any tool call and give the final answer inside <answer></answer> tags."

// EngineConfig are the episode defaults and limits of an Engine.
type EngineConfig struct {
	// MaxRolloutEpisodes caps the episodes rollouts run at once (default
	// 512), MaxRolloutEpisodesPerClient one client's share (default: all);
	// a rollout beyond them is refused with a capacity error.
	MaxRolloutEpisodes, MaxRolloutEpisodesPerClient int
	// MaxPolicyCalls caps the calls in flight to each policy endpoint
	// (default 256); more wait for a slot, under their deadline.
	MaxPolicyCalls int
	// MaxTurns is the default number of assistant turns per episode.
	MaxTurns int
	// MaxToolCalls is the default number of tool calls per episode.
	MaxToolCalls int
	// MaxToolCallsPerStep caps the calls of one assistant turn; extra calls are refused.
	MaxToolCallsPerStep int
	// MaxConsecutiveInvalidToolCalls is the default limit on a model's
	// invalid tool calls in a row (EpisodeLimits); 0 sets none.
	MaxConsecutiveInvalidToolCalls int
	// MaxMessageBytes caps an assistant turn (its content and tool-call
	// arguments); a longer one is refused with limit_exceeded.
	MaxMessageBytes int
	// EpisodeDeadline is the default wall-clock budget of an episode.
	EpisodeDeadline time.Duration
	// ToolCallFormat is the default tool-call format ("openai" or "hermes").
	ToolCallFormat string
	// SystemPrompt is the default system prompt.
	SystemPrompt string
	// Weights turn the scorer's verdict and the episode's counts (turns,
	// tool calls, failed calls) into the reward; zero means
	// reward.DefaultWeights (correctness alone).
	Weights reward.Weights
	// TracerProvider makes the spans of episodes, steps, tool calls and
	// rewards; nil turns tracing off at no cost.
	TracerProvider trace.TracerProvider
	// MeterProvider records the engine's and the server's metrics (steps,
	// latencies, tool calls, episodes, rewards, errors); nil records none.
	MeterProvider metric.MeterProvider
}

// DefaultEngineConfig returns 16 turns, 64 tool calls (16 per step),
// 4 MiB assistant turns, 30 minutes, the openai format and DefaultSystemPrompt.
func DefaultEngineConfig() EngineConfig {
	return EngineConfig{MaxTurns: 16, MaxToolCalls: 64, MaxToolCallsPerStep: 16, MaxMessageBytes: 4 << 20,
		EpisodeDeadline: 30 * time.Minute, ToolCallFormat: FormatOpenAI, SystemPrompt: DefaultSystemPrompt}
}

func (c *EngineConfig) fillDefaults() {
	d := DefaultEngineConfig()
	if c.Weights == (reward.Weights{}) {
		c.Weights = reward.DefaultWeights()
	}
	if c.MaxTurns <= 0 {
		c.MaxTurns = d.MaxTurns
	}
	if c.MaxToolCalls <= 0 {
		c.MaxToolCalls = d.MaxToolCalls
	}
	if c.MaxToolCallsPerStep <= 0 {
		c.MaxToolCallsPerStep = d.MaxToolCallsPerStep
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = d.MaxMessageBytes
	}
	if c.EpisodeDeadline <= 0 {
		c.EpisodeDeadline = d.EpisodeDeadline
	}
	if c.ToolCallFormat == "" {
		c.ToolCallFormat = d.ToolCallFormat
	}
	if c.SystemPrompt == "" {
		c.SystemPrompt = d.SystemPrompt
	}
	if c.MaxRolloutEpisodes <= 0 {
		c.MaxRolloutEpisodes = 512
	}
	if c.MaxRolloutEpisodesPerClient <= 0 {
		c.MaxRolloutEpisodesPerClient = c.MaxRolloutEpisodes
	}
	if c.MaxPolicyCalls <= 0 {
		c.MaxPolicyCalls = 256
	}
}

// Engine runs episodes over a task set, a tool registry and scorers. It is
// safe for concurrent use: steps of different episodes run in parallel,
// steps of one episode are serialized.
type Engine struct {
	cfg      EngineConfig
	tasks    *tasks.Set
	tools    *toolexec.Registry
	scorers  *reward.Registry
	recorder *Recorder
	log      *slog.Logger
	tracer   trace.Tracer
	tracing  bool // spans are made only when a provider was given: off costs nothing
	metrics  *instruments

	idPrefix string
	nextID   atomic.Uint64

	mu       sync.Mutex
	episodes map[string]*episode

	toolsets sync.Map // task id → *toolset
	// toolsetIDs maps a toolset id to its toolset; every task's is in it
	// once allToolsets has run.
	toolsetIDs  sync.Map
	allToolsets sync.Once

	rollouts *admission     // rollout episodes running, overall and per client
	policies *policyClients // policy endpoints' clients and calls in flight
	// toolsJSON caches each task's tools as the OpenAI tools array a
	// rollout sends every turn (encoding the schemas' maps is costly).
	toolsJSON sync.Map // task id → json.RawMessage
}

// NewEngine returns an engine. recorder may be nil (no trajectories written).
// Every task's toolset must resolve in tools; use tasks.Validate first to
// report problems in detail.
func NewEngine(cfg EngineConfig, set *tasks.Set, tools *toolexec.Registry, scorers *reward.Registry, recorder *Recorder, log *slog.Logger) (*Engine, error) {
	cfg.fillDefaults()
	if !slices.Contains(toolCallFormats, cfg.ToolCallFormat) {
		return nil, fmt.Errorf("unknown tool-call format %q (%s)", cfg.ToolCallFormat, strings.Join(toolCallFormats, ", "))
	}
	if log == nil {
		log = slog.Default()
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("episode id prefix: %w", err)
	}
	var tracer trace.Tracer = noop.NewTracerProvider().Tracer("")
	if cfg.TracerProvider != nil {
		tracer = cfg.TracerProvider.Tracer("github.com/dive-env/dive/env")
	}
	e := &Engine{cfg: cfg, tasks: set, tools: tools, scorers: scorers, recorder: recorder, log: log,
		tracer: tracer, tracing: cfg.TracerProvider != nil,
		idPrefix: "ep-" + hex.EncodeToString(b[:]) + "-", episodes: map[string]*episode{},
		rollouts: newAdmission(cfg.MaxRolloutEpisodes, cfg.MaxRolloutEpisodesPerClient), policies: newPolicyClients(cfg.MaxPolicyCalls)}
	if cfg.MeterProvider != nil {
		in, err := newInstruments(cfg.MeterProvider, e)
		if err != nil {
			return nil, err
		}
		e.metrics = in
	}
	for _, t := range set.All() {
		if _, err := e.toolsetFor(t); err != nil {
			return nil, err
		}
		if _, err := scorers.For(t); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Tasks returns the engine's task set.
func (e *Engine) Tasks() *tasks.Set { return e.tasks }

// Tools returns the engine's tool registry.
func (e *Engine) Tools() *toolexec.Registry { return e.tools }

// Scorers returns the engine's scorer registry.
func (e *Engine) Scorers() *reward.Registry { return e.scorers }

// Config returns the engine's configuration.
func (e *Engine) Config() EngineConfig { return e.cfg }

// OpenEpisodes returns the number of episodes held (running or finished and not yet closed).
func (e *Engine) OpenEpisodes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.episodes)
}

// toolset is a task's tools, by the name the model calls, with their schemas.
type toolset struct {
	id      string // a hash of schemas: toolsetID
	byName  map[string]*toolexec.Tool
	schemas []ToolSchema
	names   []string
}

// toolsetID is the content id of a toolset's schemas: 16 hex digits of the
// SHA-256 of their JSON (map keys sorted, so equal schemas, equal bytes).
func toolsetID(schemas []ToolSchema) (string, error) {
	b, err := json.Marshal(schemas)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

func (e *Engine) toolsetFor(t *tasks.Task) (*toolset, error) {
	if ts, ok := e.toolsets.Load(t.ID); ok {
		return ts.(*toolset), nil
	}
	ts := &toolset{byName: map[string]*toolexec.Tool{}}
	for _, ref := range t.Tools {
		tool, err := e.tools.Resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("task %s: %w", t.ID, err)
		}
		name := tool.Manifest.Name
		if _, dup := ts.byName[name]; dup {
			return nil, fmt.Errorf("task %s: two tools named %q in its toolset", t.ID, name)
		}
		ts.byName[name] = tool
		ts.names = append(ts.names, name)
		var params any
		if err := json.Unmarshal(tool.Manifest.Parameters, &params); err != nil {
			return nil, fmt.Errorf("task %s: tool %s schema: %w", t.ID, name, err)
		}
		ts.schemas = append(ts.schemas, ToolSchema{Type: "function",
			Function: ToolFunction{Name: name, Description: tool.Manifest.Description, Parameters: params}})
	}
	id, err := toolsetID(ts.schemas)
	if err != nil {
		return nil, fmt.Errorf("task %s: toolset id: %w", t.ID, err)
	}
	ts.id = id
	actual, _ := e.toolsets.LoadOrStore(t.ID, ts)
	e.toolsetIDs.LoadOrStore(id, actual)
	return actual.(*toolset), nil
}

// Toolsets answers toolsets.get.
func (e *Engine) Toolsets(p ToolsetsParams) (*ToolsetsResult, *Error) {
	switch n := len(p.TaskIDs) + len(p.IDs); {
	case n == 0:
		return nil, errorf(CodeBadRequest, "toolsets.get needs task_ids or ids")
	case n > MaxToolsetsRequest:
		return nil, errorf(CodeLimit, "toolsets.get asks for %d task and toolset ids; the limit is %d", n, MaxToolsetsRequest)
	}
	res := &ToolsetsResult{Tasks: make(map[string]string, len(p.TaskIDs)), Toolsets: map[string][]ToolSchema{}}
	for _, id := range p.TaskIDs {
		task, ok := e.tasks.Get(id)
		if !ok {
			return nil, errorf(CodeUnknownTask, "no task %q", id)
		}
		ts, err := e.toolsetFor(task)
		if err != nil {
			return nil, errorf(CodeInternal, "%v", err)
		}
		res.Tasks[id] = ts.id
		res.Toolsets[ts.id] = ts.schemas
	}
	if len(p.IDs) > 0 {
		e.allToolsets.Do(func() {
			for _, task := range e.tasks.All() {
				_, _ = e.toolsetFor(task) // a task whose tools do not resolve has no toolset to find
			}
		})
	}
	for _, id := range p.IDs {
		ts, ok := e.toolsetIDs.Load(id)
		if !ok {
			return nil, errorf(CodeBadRequest, "no toolset %q: no task of this server has it", id)
		}
		res.Toolsets[id] = ts.(*toolset).schemas
	}
	return res, nil
}

func (e *Engine) newEpisodeID() string {
	return e.idPrefix + fmt.Sprint(e.nextID.Add(1))
}

func (e *Engine) lookup(id string) (*episode, *Error) {
	e.mu.Lock()
	ep, ok := e.episodes[id]
	e.mu.Unlock()
	if !ok {
		return nil, errorf(CodeUnknownEpisode, "no open episode %q", id)
	}
	return ep, nil
}

// Reset starts an episode.
func (e *Engine) Reset(ctx context.Context, p ResetParams) (*ResetResult, *Error) {
	task, err := e.pickTask(p)
	if err != nil {
		return nil, err
	}
	o := p.Options
	format := o.ToolCallFormat
	if format == "" {
		format = e.cfg.ToolCallFormat
	}
	if !slices.Contains(toolCallFormats, format) {
		return nil, errorf(CodeBadRequest, "unknown tool_call_format %q (%s)", format, strings.Join(toolCallFormats, ", "))
	}
	if o.MaxTurns < 0 || o.MaxToolCalls < 0 || o.DeadlineSeconds < 0 || o.MaxConsecutiveInvalidToolCalls < 0 {
		return nil, errorf(CodeBadRequest, "max_turns, max_tool_calls, max_consecutive_invalid_tool_calls and deadline_s must not be negative")
	}
	limits := EpisodeLimits{MaxTurns: firstPositive(o.MaxTurns, task.MaxTurns, e.cfg.MaxTurns),
		MaxToolCalls:                   firstPositive(o.MaxToolCalls, task.MaxToolCalls, e.cfg.MaxToolCalls),
		DeadlineSeconds:                e.cfg.EpisodeDeadline.Seconds(),
		MaxConsecutiveInvalidToolCalls: firstPositive(o.MaxConsecutiveInvalidToolCalls, e.cfg.MaxConsecutiveInvalidToolCalls)}
	if o.DeadlineSeconds > 0 {
		limits.DeadlineSeconds = o.DeadlineSeconds
	}
	ts, terr := e.toolsetFor(task)
	if terr != nil {
		return nil, errorf(CodeInternal, "%v", terr)
	}
	system := e.cfg.SystemPrompt
	if task.SystemPrompt != "" {
		system = task.SystemPrompt
	}
	if o.SystemPrompt != nil {
		system = *o.SystemPrompt
	}
	var msgs []Message
	if system != "" {
		msgs = append(msgs, Message{Role: "system", Content: Content(system)})
	}
	msgs = append(msgs, Message{Role: "user", Content: Content(task.Question)})

	now := time.Now()
	ep := &episode{
		id: e.newEpisodeID(), task: task, tools: ts, format: format, limits: limits, seed: o.Seed,
		started: now, deadline: now.Add(time.Duration(limits.DeadlineSeconds * float64(time.Second))),
		messages: msgs, weights: e.cfg.Weights, metrics: e.metrics, client: toolexec.ClientFrom(ctx),
	}
	e.metrics.episodeStarted(ctx, task.Domain)
	if e.tracing {
		ep.startSpan(ctx, e.tracer, p.TraceParent, p.TraceState)
	}
	e.mu.Lock()
	e.episodes[ep.id] = ep
	e.mu.Unlock()
	return &ResetResult{Episode: ep.id, TaskID: task.ID, Domain: task.Domain, Messages: append([]Message(nil), msgs...),
		Tools: ts.schemas, Toolset: ts.id, ToolCallFormat: format, Limits: limits, Seed: o.Seed}, nil
}

func firstPositive(vals ...int) int {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

func (e *Engine) pickTask(p ResetParams) (*tasks.Task, *Error) {
	switch {
	case p.TaskID != "" && p.Sample != nil:
		return nil, errorf(CodeBadRequest, "give task_id or sample, not both")
	case p.TaskID != "":
		t, ok := e.tasks.Get(p.TaskID)
		if !ok {
			return nil, errorf(CodeUnknownTask, "no task %q", p.TaskID)
		}
		return t, nil
	case p.Sample != nil:
		seed := p.Sample.Seed
		if seed == nil {
			seed = p.Options.Seed
		}
		got, _, err := e.Sample(*p.Sample, 1, seed)
		if err != nil {
			return nil, err
		}
		return got[0], nil
	}
	return nil, errorf(CodeBadRequest, "reset needs task_id or sample")
}

// Sample draws n tasks by spec; with no seed it picks one and returns it.
func (e *Engine) Sample(spec SampleSpec, n int, seed *uint64) ([]*tasks.Task, uint64, *Error) {
	var s uint64
	if seed != nil {
		s = *seed
	} else {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, 0, errorf(CodeInternal, "seed: %v", err)
		}
		for _, x := range b {
			s = s<<8 | uint64(x)
		}
	}
	got, err := e.tasks.Sample(spec.Filter, n, s, spec.Replace)
	if err != nil {
		if err == tasks.ErrNoMatch {
			return nil, s, errorf(CodeUnknownTask, "no task matches split=%q domain=%q ids=%v", spec.Split, spec.Domain, spec.IDs)
		}
		return nil, s, errorf(CodeBadRequest, "%v", err)
	}
	return got, s, nil
}

// Step runs one assistant turn of an episode.
func (e *Engine) Step(ctx context.Context, p StepParams) (*StepResult, *Error) {
	if p.Episode == "" {
		return nil, errorf(CodeBadRequest, "step needs episode")
	}
	ep, perr := e.lookup(p.Episode)
	if perr != nil {
		return nil, perr
	}
	start := time.Now()
	res, perr := ep.step(ctx, e, p)
	if perr != nil {
		return nil, perr
	}
	if !res.Info.Resent {
		e.metrics.stepped(ctx, time.Since(start), res.Done)
	}
	if res.Done {
		e.finish(ep)
	}
	return res, nil
}

// quickStep reports whether a step will finish promptly on the caller's
// goroutine: an assistant message whose tool calls (one or more, within the
// per-turn cap) all name inline tools of an open episode, and that cannot
// end the episode (ending closes its tool sessions and records it). It is a
// routing hint: the step itself still checks everything.
func (e *Engine) quickStep(p *StepParams) bool {
	if p.Message == nil || p.Text != nil || len(p.Message.ToolCalls) == 0 || len(p.Message.ToolCalls) > e.cfg.MaxToolCallsPerStep {
		return false
	}
	ep, perr := e.lookup(p.Episode)
	if perr != nil {
		return false
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.done || ep.turns+1 >= ep.limits.MaxTurns || ep.toolCalls+len(p.Message.ToolCalls) >= ep.limits.MaxToolCalls ||
		time.Until(ep.deadline) < time.Second ||
		ep.limits.MaxConsecutiveInvalidToolCalls > 0 && ep.invalidRun+len(p.Message.ToolCalls) >= ep.limits.MaxConsecutiveInvalidToolCalls {
		return false
	}
	for _, tc := range p.Message.ToolCalls {
		if t, ok := ep.tools.byName[tc.Function.Name]; !ok || !t.Inline() {
			return false
		}
	}
	return true
}

// finish releases a finished episode's tool state and records its trajectory.
func (e *Engine) finish(ep *episode) {
	e.tools.CloseSession(ep.id)
	if e.recorder == nil {
		return
	}
	ep.mu.Lock()
	traj := ep.trajectory()
	ep.mu.Unlock()
	if err := e.recorder.Record(traj); err != nil {
		e.log.ErrorContext(ep.logContext(), "record trajectory", "episode", ep.id, "task", ep.task.ID, "err", err)
	}
}

// State returns an episode's transcript so far.
func (e *Engine) State(id string) (*StateResult, *Error) {
	ep, perr := e.lookup(id)
	if perr != nil {
		return nil, perr
	}
	return ep.state(), nil
}

// Close releases an episode; a running one ends with reason "closed" and
// reward 0, and its partial trajectory is recorded.
func (e *Engine) Close(id string) (*CloseResult, *Error) {
	e.stop(id, ReasonClosed)
	e.mu.Lock()
	ep, ok := e.episodes[id]
	delete(e.episodes, id)
	e.mu.Unlock()
	if !ok {
		return nil, errorf(CodeUnknownEpisode, "no open episode %q", id)
	}
	ep.endSpan("closed")
	e.tools.CloseSession(id)
	return &CloseResult{Episode: id, Closed: true}, nil
}

// Abandon releases an episode whose client is gone. A running episode ends
// with reason "abandoned" and reward 0, and its partial trajectory is
// recorded; a finished one is simply released.
func (e *Engine) Abandon(id string) {
	e.stop(id, ReasonAbandoned)
	_, _ = e.Close(id)
}

// stop ends a running episode for reason, reward 0, and records its partial
// trajectory; an episode that has already ended (or is gone) is left as is.
func (e *Engine) stop(id, reason string) {
	ep, perr := e.lookup(id)
	if perr != nil {
		return
	}
	if ep.stop(reason) {
		e.finish(ep)
	}
}

// Resumed describes an episode for a resuming client.
func (e *Engine) Resumed(id string) (ResumedEpisode, bool) {
	ep, perr := e.lookup(id)
	if perr != nil {
		return ResumedEpisode{}, false
	}
	return ep.resumed(), true
}

// Score scores an answer to a task without an episode, as the final step of
// an episode would: for trainers whose loop never hands the environment the
// final answer (TRL reward functions, verl's compute_score). With messages,
// the answer is the content of the last assistant message, and the
// conversation's assistant turns, tool calls and failed tool results are the
// counts the reward weights see.
func (e *Engine) Score(ctx context.Context, p ScoreParams) (*ScoreResult, *Error) {
	task, ok := e.tasks.Get(p.TaskID)
	if p.TaskID == "" {
		return nil, errorf(CodeBadRequest, "score needs task_id")
	}
	if !ok {
		return nil, errorf(CodeUnknownTask, "no task %q", p.TaskID)
	}
	var answer string
	var stats reward.EpisodeStats
	switch {
	case p.Answer != nil && p.Messages != nil:
		return nil, errorf(CodeBadRequest, "give answer or messages, not both")
	case p.Answer != nil:
		answer, stats.Turns = *p.Answer, 1
	case len(p.Messages) > 0:
		found := false
		for _, m := range p.Messages {
			switch m.Role {
			case "assistant":
				stats.Turns++
				stats.ToolCalls += len(m.ToolCalls)
				answer, found = string(m.Content), true
			case "tool":
				if strings.HasPrefix(string(m.Content), "Error (") {
					stats.ToolErrors++
				}
			}
		}
		if !found {
			return nil, errorf(CodeBadRequest, "messages hold no assistant message to score")
		}
	default:
		return nil, errorf(CodeBadRequest, "score needs answer or messages")
	}
	score, err := e.scorers.Score(ctx, task, answer)
	if err != nil {
		name := ""
		if s, serr := e.scorers.For(task); serr == nil {
			name = s.Name()
		}
		score = reward.Failed(name, err)
		e.log.WarnContext(ctx, "scoring failed", "task", task.ID, "err", err)
	}
	return &ScoreResult{TaskID: task.ID, Reward: e.cfg.Weights.Apply(score, stats)}, nil
}
