package env

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// episode is one rollout of a task. Its mutex serializes steps.
type episode struct {
	id       string
	client   string // the host that started it: tools share their resources among clients
	task     *tasks.Task
	tools    *toolset
	format   string
	limits   EpisodeLimits
	seed     *uint64
	started  time.Time
	deadline time.Time

	mu         sync.Mutex
	messages   []Message
	calls      []CallRecord
	turns      int
	toolCalls  int
	toolErrors int
	invalidRun int // the model's invalid tool calls in a row, up to now
	weights    reward.Weights
	done       bool
	reason     string
	reward     *reward.Result
	ended      time.Time
	last       *StepResult // the reply of the last turn, for a re-sent step

	span     trace.Span      // the episode's span, from reset to its end
	spanCtx  context.Context // carries span: the parent of step spans
	spanOnce sync.Once       // the episode's end is reported once: span and metrics
	metrics  *instruments
}

// startSpan opens the episode's span, a child of the trainer's trace when
// reset carried W3C trace context.
func (ep *episode) startSpan(ctx context.Context, tracer trace.Tracer, traceparent, tracestate string) {
	if traceparent != "" {
		carrier := propagation.MapCarrier{"traceparent": traceparent}
		if tracestate != "" {
			carrier["tracestate"] = tracestate
		}
		ctx = propagation.TraceContext{}.Extract(ctx, carrier)
	}
	ep.spanCtx, ep.span = tracer.Start(ctx, "dive.episode", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(ep.started), trace.WithAttributes(
			attribute.String("dive.episode.id", ep.id), attribute.String("dive.task.id", ep.task.ID),
			attribute.String("dive.task.domain", ep.task.Domain), attribute.String("dive.tool_call_format", ep.format),
			attribute.Int("dive.toolset.size", len(ep.tools.names))))
}

// logContext is the context log lines about the episode carry: its span's,
// so that they hold its trace id when tracing is on.
func (ep *episode) logContext() context.Context {
	if ep.spanCtx != nil {
		return ep.spanCtx
	}
	return context.Background()
}

// endSpan reports the episode's end once: its span ends, with how the
// episode ended, and the metrics count it.
func (ep *episode) endSpan(reason string) {
	ep.spanOnce.Do(func() {
		if ep.reward != nil {
			ep.metrics.episodeEnded(context.Background(), reason, string(ep.reward.Label), ep.reward.Score, reason != ReasonAbandoned)
		} else {
			ep.metrics.episodeEnded(context.Background(), reason, "", 0, false)
		}
		if ep.span == nil {
			return
		}
		ep.span.SetAttributes(attribute.String("dive.episode.reason", reason), attribute.Int("dive.episode.turns", ep.turns),
			attribute.Int("dive.episode.tool_calls", ep.toolCalls), attribute.Int("dive.episode.tool_errors", ep.toolErrors))
		if ep.reward != nil {
			ep.span.SetAttributes(attribute.Float64("dive.reward.score", ep.reward.Score), attribute.String("dive.reward.label", string(ep.reward.Label)))
		}
		ep.span.End()
	})
}

// CallRecord is one executed (or refused) tool call of a trajectory.
type CallRecord struct {
	Turn       int     `json:"turn"`
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Arguments  string  `json:"arguments"`
	DurationMS float64 `json:"duration_ms"`
	ErrorKind  string  `json:"error_kind,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"`
	Replayed   bool    `json:"replayed,omitempty"`
}

// assistantTurn turns step params into the assistant message to record and
// the calls to run.
func (ep *episode) assistantTurn(p StepParams) (Message, []parsedCall, *Error) {
	var msg Message
	switch {
	case p.Message != nil && p.Text != nil:
		return msg, nil, errorf(CodeBadRequest, "give message or text, not both")
	case p.Message != nil:
		msg = *p.Message
		if msg.Role == "" {
			msg.Role = "assistant"
		}
		if msg.Role != "assistant" {
			return msg, nil, errorf(CodeBadRequest, "step message must have role assistant, got %q", msg.Role)
		}
	case p.Text != nil:
		msg = Message{Role: "assistant", Content: Content(*p.Text)}
	default:
		return msg, nil, errorf(CodeBadRequest, "step needs message or text")
	}
	var calls []parsedCall
	if len(msg.ToolCalls) > 0 {
		for i, tc := range msg.ToolCalls {
			if tc.Function.Name == "" {
				return msg, nil, errorf(CodeBadRequest, "tool_calls[%d] has no function name", i)
			}
			calls = append(calls, parsedCall{ID: tc.ID, Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)})
		}
	} else if parsesToolCallTags(ep.format) {
		var content string
		content, calls = parseHermes(string(msg.Content))
		if len(calls) > 0 {
			msg.Content = Content(content)
		}
	}
	// Give every call an id, unique in the episode, and record it OpenAI-style.
	msg.ToolCalls = msg.ToolCalls[:0:0]
	for i := range calls {
		if calls[i].IsXML {
			var schema json.RawMessage
			if tool, ok := ep.tools.byName[calls[i].Name]; ok {
				schema = tool.Manifest.Parameters
			}
			calls[i].Arguments = xmlArguments(calls[i].XML, schema)
		}
		if calls[i].ID == "" {
			calls[i].ID = fmt.Sprintf("call_%d_%d", ep.turns+1, i)
		}
		name := calls[i].Name
		if name == "" {
			name = "invalid_tool_call"
		}
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: calls[i].ID, Type: "function",
			Function: FunctionCall{Name: name, Arguments: Arguments(calls[i].Arguments)}})
	}
	return msg, calls, nil
}

func (ep *episode) step(ctx context.Context, e *Engine, p StepParams) (*StepResult, *Error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	start := time.Now()
	if p.Turn != 0 {
		if p.Turn == ep.turns && ep.last != nil {
			again := *ep.last
			again.Info.Resent = true
			return &again, nil
		}
		if p.Turn != ep.turns+1 {
			return nil, errorf(CodeTurnMismatch, "episode %s has had %d turns; a step with turn %d is neither the next turn nor a re-sent last one", ep.id, ep.turns, p.Turn)
		}
	}
	if ep.done {
		return nil, errorf(CodeEpisodeDone, "episode %s has ended (%s)", ep.id, ep.reason)
	}
	// The size check comes before any parsing of the turn's text.
	if size := stepBytes(p); size > e.cfg.MaxMessageBytes {
		return nil, errorf(CodeLimit, "the assistant turn is %d bytes; the limit is %d (max_message_bytes)", size, e.cfg.MaxMessageBytes)
	}
	msg, calls, perr := ep.assistantTurn(p)
	if perr != nil {
		return nil, perr
	}
	if size := messageBytes(msg); size > e.cfg.MaxMessageBytes {
		return nil, errorf(CodeLimit, "the assistant turn is %d bytes; the limit is %d (max_message_bytes)", size, e.cfg.MaxMessageBytes)
	}
	ep.turns++
	ep.messages = append(ep.messages, msg)
	res := &StepResult{Episode: ep.id, Messages: []Message{}, Info: StepInfo{Turn: ep.turns, ToolCalls: []CallInfo{}}}
	stepCtx := ctx
	if e.tracing {
		var stepSpan trace.Span
		stepCtx, stepSpan = e.tracer.Start(trace.ContextWithSpan(ctx, ep.span), "dive.step", trace.WithTimestamp(start),
			trace.WithAttributes(attribute.Int("dive.turn", ep.turns), attribute.Int("dive.step.tool_calls", len(calls))))
		defer func() {
			stepSpan.SetAttributes(attribute.Bool("dive.episode.done", ep.done))
			stepSpan.End()
		}()
	}

	if start.After(ep.deadline) {
		ep.end(ReasonDeadline, nil)
		return ep.fill(res, start), nil
	}
	if len(calls) == 0 {
		rewardSpan := trace.SpanFromContext(context.Background()) // a no-op span when tracing is off
		if e.tracing {
			_, rewardSpan = e.tracer.Start(stepCtx, "dive.reward")
		}
		score, err := e.scorers.Score(ctx, ep.task, string(msg.Content))
		if err != nil {
			// A scorer that fails is a server-side problem; the episode still
			// ends, its reward labelled scoring_failed so a trainer can mask it.
			name := ""
			if s, serr := e.scorers.For(ep.task); serr == nil {
				name = s.Name()
			}
			score = reward.Failed(name, err)
			e.log.WarnContext(stepCtx, "scoring failed", "episode", ep.id, "task", ep.task.ID, "err", err)
			rewardSpan.SetStatus(codes.Error, err.Error())
		}
		if rewardSpan.IsRecording() {
			rewardSpan.SetAttributes(attribute.String("dive.reward.scorer", score.Scorer), attribute.Float64("dive.reward.score", score.Score),
				attribute.String("dive.reward.label", string(score.Label)))
		}
		rewardSpan.End()
		ep.end(ReasonAnswer, &score)
		return ep.fill(res, start), nil
	}

	budget := ep.limits.MaxToolCalls - ep.toolCalls
	results := make([]toolexec.Result, len(calls))
	var wg sync.WaitGroup
	var pending []int // calls to run
	overBudget := false
	for i := range calls {
		c := &calls[i]
		switch {
		case c.Err != "":
			results[i] = toolexec.Failed(toolexec.ErrInvalidArguments, "%s", c.Err)
		case i >= e.cfg.MaxToolCallsPerStep:
			results[i] = toolexec.Failed(toolexec.ErrCallLimit, "not run: at most %d tool calls per turn", e.cfg.MaxToolCallsPerStep)
		case i >= budget:
			overBudget = true
			results[i] = toolexec.Failed(toolexec.ErrCallLimit, "not run: the episode's budget of %d tool calls is spent", ep.limits.MaxToolCalls)
		default:
			if _, ok := ep.tools.byName[c.Name]; !ok {
				results[i] = toolexec.Failed(toolexec.ErrUnknownTool, "unknown tool %q; available tools: %s", c.Name, strings.Join(ep.sortedToolNames(), ", "))
				continue
			}
			pending = append(pending, i)
		}
	}
	// The episode's deadline bounds the calls, unless all of them run inline
	// (a deadline would cost a context and a timer per step and interrupt
	// nothing).
	runCtx := toolexec.WithClient(toolexec.WithSession(stepCtx, ep.id), ep.client)
	for _, i := range pending {
		if !ep.tools.byName[calls[i].Name].Inline() {
			var cancel context.CancelFunc
			runCtx, cancel = context.WithDeadline(runCtx, ep.deadline)
			defer cancel()
			break
		}
	}
	// Calls run concurrently; the last one runs on this goroutine.
	for n, i := range pending {
		tool, args := ep.tools.byName[calls[i].Name], []byte(calls[i].Arguments)
		if n == len(pending)-1 {
			results[i] = e.callTool(runCtx, tool, calls[i].ID, args)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.callTool(runCtx, tool, calls[i].ID, args)
		}()
	}
	wg.Wait()
	ep.toolCalls += len(calls)
	stepErrors := 0
	for i, c := range calls {
		r := results[i]
		if ep.metrics != nil {
			name, kind := c.Name, ""
			if r.Err != nil {
				kind = string(r.Err.Kind)
			}
			if _, known := ep.tools.byName[name]; !known {
				name = "(unknown)" // the model's invention: not a label value, or cardinality is unbounded
			}
			ep.metrics.toolCalled(ctx, name, kind, r.Duration, slices.Contains(pending, i))
		}
		tm := Message{Role: "tool", ToolCallID: c.ID, Name: c.Name, Content: Content(r.Content())}
		ep.messages = append(ep.messages, tm)
		res.Messages = append(res.Messages, tm)
		info := CallInfo{ID: c.ID, Name: c.Name, DurationMS: ms(r.Duration), Truncated: r.Truncated, Replayed: r.Replayed, OutputBytes: r.OriginalBytes}
		rec := CallRecord{Turn: ep.turns, ID: c.ID, Name: c.Name, Arguments: c.Arguments, DurationMS: info.DurationMS, Truncated: r.Truncated, Replayed: r.Replayed}
		if r.Err != nil {
			info.Error = r.Err
			rec.ErrorKind = string(r.Err.Kind)
			ep.toolErrors++
			stepErrors++
		}
		res.Info.ToolCalls = append(res.Info.ToolCalls, info)
		ep.calls = append(ep.calls, rec)
		ep.countInvalid(r)
	}
	if ep.weights.StepToolError != 0 {
		shaping := -ep.weights.StepToolError * float64(stepErrors)
		res.Info.Shaping = &shaping
	}
	if limit := ep.limits.MaxConsecutiveInvalidToolCalls; limit > 0 && ep.invalidRun >= limit {
		ep.end(ReasonMaxConsecutiveInvalidToolCalls, nil)
		return ep.fill(res, start), nil
	}
	switch {
	case overBudget:
		ep.end(ReasonMaxToolCalls, nil)
	case time.Now().After(ep.deadline):
		ep.end(ReasonDeadline, nil)
	case ep.turns >= ep.limits.MaxTurns:
		ep.end(ReasonMaxTurns, nil)
	}
	return ep.fill(res, start), nil
}

// countInvalid updates the run of invalid calls with the next call's
// result: the model's own mistakes (an unknown tool, arguments that could
// not be parsed or that the tool's schema refused — a malformed Hermes
// block's result is invalid_arguments too) lengthen it, a call that ran ends it, whether
// or not the tool then failed, and a call a limit refused leaves it be.
func (ep *episode) countInvalid(r toolexec.Result) {
	switch {
	case r.Err == nil:
		ep.invalidRun = 0
	case r.Err.Kind == toolexec.ErrUnknownTool || r.Err.Kind == toolexec.ErrInvalidArguments:
		ep.invalidRun++
	case r.Err.Kind == toolexec.ErrCallLimit:
	default:
		ep.invalidRun = 0
	}
}

// messageBytes is the size of an assistant turn: content and call arguments.
// stepBytes is the size of a step's assistant turn as sent, before its
// text is parsed.
func stepBytes(p StepParams) int {
	switch {
	case p.Message != nil:
		return messageBytes(*p.Message)
	case p.Text != nil:
		return len(*p.Text)
	}
	return 0
}

func messageBytes(m Message) int {
	n := len(m.Content)
	for _, c := range m.ToolCalls {
		n += len(c.Function.Name) + len(c.Function.Arguments)
	}
	return n
}

func (ep *episode) sortedToolNames() []string {
	names := append([]string(nil), ep.tools.names...)
	sort.Strings(names)
	return names
}

// callTool runs one tool call in an execute_tool span (OpenTelemetry GenAI
// semantic conventions, plus dive's own attributes).
func (e *Engine) callTool(ctx context.Context, tool *toolexec.Tool, callID string, args []byte) toolexec.Result {
	if !e.tracing {
		return e.tools.Call(ctx, tool, args)
	}
	name := tool.Manifest.Name
	ctx, span := e.tracer.Start(ctx, "execute_tool "+name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", name),
		attribute.String("gen_ai.tool.call.id", callID), attribute.String("gen_ai.tool.type", "function"),
		attribute.String("dive.tool.id", tool.Manifest.ID)))
	r := e.tools.Call(ctx, tool, args)
	if span.IsRecording() {
		span.SetAttributes(attribute.Float64("dive.tool.duration_ms", ms(r.Duration)), attribute.Bool("dive.tool.truncated", r.Truncated),
			attribute.Bool("dive.tool.replayed", r.Replayed), attribute.Int("dive.tool.output_bytes", r.OriginalBytes))
		if r.Err != nil {
			span.SetAttributes(attribute.String("error.type", string(r.Err.Kind)))
			span.SetStatus(codes.Error, r.Err.Message)
		}
	}
	span.End()
	return r
}

// end marks the episode finished; a nil score means it ended without an answer.
func (ep *episode) end(reason string, score *reward.Result) {
	ep.done, ep.reason, ep.ended = true, reason, time.Now()
	if score == nil {
		z := reward.Zero(fmt.Sprintf("episode ended without an answer: %s", reason))
		score = &z
	}
	shaped := ep.weights.Apply(*score, reward.EpisodeStats{Turns: ep.turns, ToolCalls: ep.toolCalls, ToolErrors: ep.toolErrors})
	ep.reward = &shaped
	ep.endSpan(reason)
}

func (ep *episode) fill(res *StepResult, start time.Time) *StepResult {
	res.Done, res.Reason, res.Info.ToolCallsTotal = ep.done, ep.reason, ep.toolCalls
	if ep.weights.StepToolError != 0 && res.Info.Shaping == nil {
		zero := 0.0
		res.Info.Shaping = &zero // a step without failed calls
	}
	if ep.done {
		res.Reward = ep.reward
	}
	res.Info.DurationMS = ms(time.Since(start))
	ep.last = res
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// stop ends a running episode for reason (its client gone, its policy
// failed), with reward 0; it reports whether the episode was still running
// (and so has a partial trajectory to record).
func (ep *episode) stop(reason string) bool {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.done {
		return false
	}
	ep.end(reason, nil)
	return true
}

func (ep *episode) resumed() ResumedEpisode {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ResumedEpisode{Episode: ep.id, TaskID: ep.task.ID, Turns: ep.turns, Done: ep.done}
}

func (ep *episode) state() *StateResult {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return &StateResult{Episode: ep.id, TaskID: ep.task.ID, Messages: append([]Message(nil), ep.messages...),
		Turns: ep.turns, ToolCalls: ep.toolCalls, Done: ep.done, Reason: ep.reason, Reward: ep.reward}
}

// trajectory is the record of a finished episode; call with ep.mu held.
func (ep *episode) trajectory() *Trajectory {
	return &Trajectory{
		Episode: ep.id, TaskID: ep.task.ID, Domain: ep.task.Domain, Split: ep.task.Split,
		Messages: ep.messages, Tools: ep.tools.schemas, ToolCalls: ep.calls, ToolCallFormat: ep.format,
		Turns: ep.turns, Reason: ep.reason, Reward: ep.reward, GroundTruth: ep.task.GroundTruth,
		StartedAt: ep.started.UTC(), EndedAt: ep.ended.UTC(), DurationMS: ms(ep.ended.Sub(ep.started)), Seed: ep.seed,
	}
}
