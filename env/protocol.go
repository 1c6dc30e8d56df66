// Package env runs episodes of tool-use tasks and serves them over the
// dive.v1 websocket protocol (docs/protocol.md).
//
// The Engine owns episodes: reset, step (parse the assistant message,
// execute its tool calls concurrently, score the final answer), state and
// close. The Server speaks the wire protocol over gorilla/websocket, many
// episodes per connection, with JSON or msgpack frames.
package env

import (
	"fmt"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// Protocol names and websocket subprotocols.
const (
	ProtocolVersion    = "dive.v1"
	SubprotocolJSON    = "dive.v1.json"
	SubprotocolMsgpack = "dive.v1.msgpack"
	EndpointPath       = "/v1/env"
	FormatOpenAI       = "openai"
	FormatHermes       = "hermes"
	// FormatQwen3Coder is vLLM's name for the XML layout of Qwen3-Coder and
	// Qwen3.5 inside <tool_call> blocks; it reads text as FormatHermes
	// does, which takes both layouts.
	FormatQwen3Coder    = "qwen3_coder"
	closeCodeGoingAway  = 1001
	closeReasonShutdown = "server shutting down; retry elsewhere"
)

// toolCallFormats are the tool-call formats a step's text may be read in.
var toolCallFormats = []string{FormatOpenAI, FormatHermes, FormatQwen3Coder}

// parsesToolCallTags reports whether a format takes a step's text apart
// into <tool_call> blocks.
func parsesToolCallTags(format string) bool {
	return format == FormatHermes || format == FormatQwen3Coder
}

// Operation names.
const (
	OpHello       = "hello"
	OpTasksList   = "tasks.list"
	OpTasksSample = "tasks.sample"
	OpReset       = "reset"
	OpStep        = "step"
	OpState       = "state"
	OpClose       = "close"
	OpBatch       = "batch"
	OpScore       = "score"
	OpRollout     = "rollout"
	OpToolsets    = "toolsets.get"
	// OpRolloutEpisode marks an event of a streamed rollout: one finished
	// episode, sent under the rollout request's id before its final reply.
	OpRolloutEpisode = "rollout.episode"
)

// Error codes sent in error replies.
const (
	CodeBadFrame       = "bad_frame"       // the frame could not be decoded
	CodeBadRequest     = "bad_request"     // missing or invalid parameters
	CodeUnknownOp      = "unknown_op"      // no such operation
	CodeUnknownTask    = "unknown_task"    // no task with that id, or none matches the sample
	CodeUnknownEpisode = "unknown_episode" // no open episode with that id on this connection
	CodeEpisodeDone    = "episode_done"    // the episode has ended; no more steps
	CodeLimit          = "limit_exceeded"  // a per-connection limit was reached
	CodeShuttingDown   = "shutting_down"   // the server is draining
	CodeTurnMismatch   = "turn_mismatch"   // a step's turn is neither the next turn nor the last one
	CodeUnknownSession = "unknown_session" // resume names no session held for this server (expired or never issued)
	CodeInternal       = "internal"        // a server bug; the connection stays usable
	CodeCapacity       = "capacity"        // rollouts are at their cap: retry after retry_after_ms
)

// Error is a protocol error: a typed reply, never a dropped connection.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfterMS, on a capacity error, is when trying again may succeed.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Response is one reply frame (or one entry of a batch reply).
type Response struct {
	ID     RequestID `json:"id"`
	Op     string    `json:"op,omitempty"`
	Result any       `json:"result,omitempty"`
	Error  *Error    `json:"error,omitempty"`
}

// Limits are the server's per-connection limits, announced by hello.
type Limits struct {
	MaxFrameBytes            int     `json:"max_frame_bytes"`
	MaxEpisodesPerConnection int     `json:"max_episodes_per_connection"`
	MaxInFlight              int     `json:"max_in_flight"`
	MaxInFlightBytes         int     `json:"max_in_flight_bytes"`
	MaxBatch                 int     `json:"max_batch"`
	MaxToolCallsPerStep      int     `json:"max_tool_calls_per_step"`
	MaxMessageBytes          int     `json:"max_message_bytes"`
	MaxConnectionsPerClient  int     `json:"max_connections_per_client"`
	DefaultMaxTurns          int     `json:"default_max_turns"`
	DefaultMaxToolCalls      int     `json:"default_max_tool_calls"`
	DefaultDeadlineSeconds   float64 `json:"default_deadline_s"`
	// DefaultMaxConsecutiveInvalidToolCalls is the episodes' default limit
	// on invalid tool calls in a row; 0: none.
	DefaultMaxConsecutiveInvalidToolCalls int `json:"default_max_consecutive_invalid_tool_calls"`
}

// HelloParams open a connection; Resume takes over the episodes of an
// earlier connection's session (its token, from that connection's hello).
type HelloParams struct {
	Resume string `json:"resume,omitempty"`
}

// HelloResult answers hello.
type HelloResult struct {
	Server          string   `json:"server"`
	Version         string   `json:"version"`
	Protocol        string   `json:"protocol"`
	Encoding        string   `json:"encoding"`
	Limits          Limits   `json:"limits"`
	ToolCallFormats []string `json:"tool_call_formats"`
	Tasks           int      `json:"tasks"`
	Tools           int      `json:"tools"`
	Scorers         []string `json:"scorers"`
	// Session is the secret token that resumes this connection's episodes
	// from another connection after this one drops.
	Session string `json:"session"`
	// ResumeGraceSeconds is how long the episodes of a dropped connection
	// wait for a resume before they are abandoned (0: resume is off).
	ResumeGraceSeconds float64 `json:"resume_grace_s"`
	// Resumed lists the episodes taken over when hello carried resume.
	Resumed []ResumedEpisode `json:"resumed,omitempty"`
}

// ResumedEpisode is one episode taken over by a resume: enough for a client
// to re-send the step whose reply it lost (turns) and to close episodes it
// never learned about (a reset whose reply was lost).
type ResumedEpisode struct {
	Episode string `json:"episode"`
	TaskID  string `json:"task_id"`
	Turns   int    `json:"turns"`
	Done    bool   `json:"done"`
}

// TasksListParams filter tasks.list.
type TasksListParams struct {
	tasks.Filter
	Offset int `json:"offset,omitempty"`
	Limit  int `json:"limit,omitempty"`
}

// TasksListResult answers tasks.list. Ground truths are never listed.
type TasksListResult struct {
	Total int             `json:"total"`
	Tasks []tasks.Summary `json:"tasks"`
}

// SampleSpec selects tasks by filter and seed.
type SampleSpec struct {
	tasks.Filter
	// N is the number of tasks (tasks.sample only; default 1).
	N int `json:"n,omitempty"`
	// Seed makes the draw reproducible; when absent the server picks one and returns it.
	Seed *uint64 `json:"seed,omitempty"`
	// Replace draws with replacement.
	Replace bool `json:"replace,omitempty"`
}

// TasksSampleResult answers tasks.sample.
type TasksSampleResult struct {
	Seed  uint64          `json:"seed"`
	Tasks []tasks.Summary `json:"tasks"`
}

// EpisodeOptions tune one episode; zero values take the server defaults.
type EpisodeOptions struct {
	MaxTurns        int     `json:"max_turns,omitempty"`
	MaxToolCalls    int     `json:"max_tool_calls,omitempty"`
	ToolCallFormat  string  `json:"tool_call_format,omitempty"`
	Seed            *uint64 `json:"seed,omitempty"`
	DeadlineSeconds float64 `json:"deadline_s,omitempty"`
	SystemPrompt    *string `json:"system_prompt,omitempty"`
	// MaxConsecutiveInvalidToolCalls ends the episode once the model has
	// made this many invalid tool calls in a row (see EpisodeLimits).
	MaxConsecutiveInvalidToolCalls int `json:"max_consecutive_invalid_tool_calls,omitempty"`
}

// ResetParams start an episode on a task given by id or drawn by a sample spec.
type ResetParams struct {
	TaskID  string         `json:"task_id,omitempty"`
	Sample  *SampleSpec    `json:"sample,omitempty"`
	Options EpisodeOptions `json:"options,omitempty"`
	// TraceParent and TraceState are W3C trace context (the traceparent and
	// tracestate headers' values): the episode's spans join that trace.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
}

// EpisodeLimits are the limits in force for one episode.
type EpisodeLimits struct {
	MaxTurns        int     `json:"max_turns"`
	MaxToolCalls    int     `json:"max_tool_calls"`
	DeadlineSeconds float64 `json:"deadline_s"`
	// MaxConsecutiveInvalidToolCalls, when positive, ends the episode
	// (reason max_consecutive_invalid_tool_calls, reward 0) once that many
	// of the model's calls in a row, in the order it made them, were
	// invalid: an unknown tool, arguments that do not parse or that break
	// the tool's schema, a malformed Hermes block. A call that runs, even
	// one that fails in the tool, resets the count; a call refused by a
	// call limit leaves it as it is.
	MaxConsecutiveInvalidToolCalls int `json:"max_consecutive_invalid_tool_calls,omitempty"`
}

// ToolSchema is an OpenAI function-tool schema as sent on the wire.
type ToolSchema struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction is the function part of a ToolSchema. Parameters is the
// tool's JSON Schema as a decoded value, so both encodings carry it as data.
type ToolFunction struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Parameters  any    `json:"parameters"`
}

// ResetResult answers reset: the initial conversation and the toolset.
type ResetResult struct {
	Episode  string       `json:"episode"`
	TaskID   string       `json:"task_id"`
	Domain   string       `json:"domain,omitempty"`
	Messages []Message    `json:"messages"`
	Tools    []ToolSchema `json:"tools"`
	// Toolset identifies Tools by content (see ToolsetsResult): equal ids,
	// equal schemas in the same order.
	Toolset        string        `json:"toolset"`
	ToolCallFormat string        `json:"tool_call_format"`
	Limits         EpisodeLimits `json:"limits"`
	Seed           *uint64       `json:"seed,omitempty"`
}

// MaxToolsetsRequest bounds the task ids and toolset ids of one
// toolsets.get.
const MaxToolsetsRequest = 100_000

// ToolsetsParams ask for the toolsets of tasks, by task id, and for
// toolsets by id; either list may be empty, not both.
type ToolsetsParams struct {
	TaskIDs []string `json:"task_ids,omitempty"`
	IDs     []string `json:"ids,omitempty"`
}

// ToolsetsResult answers toolsets.get: each task's toolset id, and the
// schemas of every toolset named (by a task or asked for), each once. A
// toolset id is a hash of the schemas' content and order, so a trainer
// that fixes its tools when it starts (TRL, verl) can build one tool
// config per distinct toolset and pick it by id.
type ToolsetsResult struct {
	Tasks    map[string]string       `json:"tasks"`
	Toolsets map[string][]ToolSchema `json:"toolsets"`
}

// StepParams carry the model's assistant turn: an OpenAI-style message, or
// raw text parsed with the episode's tool-call format.
type StepParams struct {
	Episode string   `json:"episode"`
	Message *Message `json:"message,omitempty"`
	Text    *string  `json:"text,omitempty"`
	// Turn, when set, is the number this turn will have (1 for the first
	// step). It makes a step safe to re-send after a lost reply: the turn
	// already taken is answered from the episode's last reply, not run again.
	Turn int `json:"turn,omitempty"`
}

// CallInfo reports one tool call of a step.
type CallInfo struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	DurationMS  float64             `json:"duration_ms"`
	Error       *toolexec.CallError `json:"error,omitempty"`
	Truncated   bool                `json:"truncated,omitempty"`
	Replayed    bool                `json:"replayed,omitempty"`
	OutputBytes int                 `json:"output_bytes"`
}

// StepInfo is the per-step detail of a step result.
type StepInfo struct {
	Turn           int        `json:"turn"`
	ToolCalls      []CallInfo `json:"tool_calls"`
	ToolCallsTotal int        `json:"tool_calls_total"`
	DurationMS     float64    `json:"duration_ms"`
	// Shaping is the step's shaping reward (−step_tool_error × its failed
	// calls), present when the server is configured with one.
	Shaping *float64 `json:"shaping,omitempty"`
	// Resent marks the reply to a re-sent step: the turn had already run,
	// and this is its reply again.
	Resent bool `json:"resent,omitempty"`
}

// StepResult answers step: the tool messages to append, and when the episode
// has ended, why and its reward.
type StepResult struct {
	Episode  string         `json:"episode"`
	Messages []Message      `json:"messages"`
	Done     bool           `json:"done"`
	Reason   string         `json:"reason,omitempty"`
	Reward   *reward.Result `json:"reward,omitempty"`
	Info     StepInfo       `json:"info"`
}

// EpisodeParams name an episode (state, close).
type EpisodeParams struct {
	Episode string `json:"episode"`
}

// StateResult answers state: the transcript so far.
type StateResult struct {
	Episode   string         `json:"episode"`
	TaskID    string         `json:"task_id"`
	Messages  []Message      `json:"messages"`
	Turns     int            `json:"turns"`
	ToolCalls int            `json:"tool_calls"`
	Done      bool           `json:"done"`
	Reason    string         `json:"reason,omitempty"`
	Reward    *reward.Result `json:"reward,omitempty"`
}

// CloseResult answers close.
type CloseResult struct {
	Episode string `json:"episode"`
	Closed  bool   `json:"closed"`
}

// ScoreParams score an answer to a task without an episode: the answer
// text, or a conversation whose last assistant message is the answer (its
// tool calls and failed tool results count as in an episode).
type ScoreParams struct {
	TaskID   string    `json:"task_id"`
	Answer   *string   `json:"answer,omitempty"`
	Messages []Message `json:"messages,omitempty"`
}

// ScoreResult answers score.
type ScoreResult struct {
	TaskID string        `json:"task_id"`
	Reward reward.Result `json:"reward"`
}

// BatchResult answers batch: one response per request, in request order.
type BatchResult struct {
	Responses []Response `json:"responses"`
}

// Episode end reasons.
const (
	ReasonAnswer       = "answer"
	ReasonMaxTurns     = "max_turns"
	ReasonMaxToolCalls = "max_tool_calls"
	ReasonDeadline     = "deadline"
	// ReasonMaxConsecutiveInvalidToolCalls ends an episode whose model made
	// max_consecutive_invalid_tool_calls invalid calls in a row (unknown
	// tools, unparseable or schema-violating arguments); reward 0.
	ReasonMaxConsecutiveInvalidToolCalls = "max_consecutive_invalid_tool_calls"
	// ReasonAbandoned ends an episode whose connection dropped and was not
	// resumed within the grace period; its partial trajectory is recorded.
	ReasonAbandoned = "abandoned"
	// ReasonClosed ends an episode its client closed while it was running;
	// reward 0, and its partial trajectory is recorded.
	ReasonClosed = "closed"
	// ReasonPolicyError ends a rollout's episode whose policy call failed,
	// timed out or answered with nothing usable; reward 0.
	ReasonPolicyError = "policy_error"
	// ReasonRolloutDeadline ends a rollout's episode that ran past the
	// rollout's whole deadline.
	ReasonRolloutDeadline = "rollout_deadline"
)

// PolicyFailed reports an end reason that blames the policy endpoint, not
// the model's play: such episodes belong in no pass rate.
func PolicyFailed(reason string) bool {
	return reason == ReasonPolicyError || reason == ReasonRolloutDeadline
}
