package toolexec

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Executor runs calls of one tool. Execute receives arguments that have
// already been validated against the tool's parameter schema; it returns a
// result that is a string (sent to the model as is) or any value that
// encodes to JSON. An error is reported to the model as a tool error, never
// as a protocol error. Implementations must be safe for concurrent use and
// should return promptly once ctx is done.
type Executor interface {
	Execute(ctx context.Context, args json.RawMessage) (any, error)
}

// Inline is implemented by executors whose calls are in-process, CPU-bound
// and bounded by their (schema-validated) input, so they finish promptly on
// their own. The registry runs them on the caller's goroutine, saving a
// goroutine per call; all others run on a goroutine of their own, watched
// under the call's deadline.
type Inline interface {
	Executor
	// Inline reports whether calls may run on the caller's goroutine.
	Inline() bool
}

// InlineFunc adapts a function to an Executor that runs inline (see Inline).
type InlineFunc func(ctx context.Context, args json.RawMessage) (any, error)

// Execute calls f.
func (f InlineFunc) Execute(ctx context.Context, args json.RawMessage) (any, error) {
	return f(ctx, args)
}

// Inline implements Inline.
func (f InlineFunc) Inline() bool { return true }

// ExecutorFunc adapts a function to the Executor interface.
type ExecutorFunc func(ctx context.Context, args json.RawMessage) (any, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, args json.RawMessage) (any, error) {
	return f(ctx, args)
}

// ErrorKind classifies why a tool call failed.
type ErrorKind string

// The kinds of tool call failure. Each reaches the model as the text of a
// tool message; none of them is a protocol error.
const (
	ErrUnknownTool      ErrorKind = "unknown_tool"
	ErrInvalidArguments ErrorKind = "invalid_arguments"
	ErrToolFailed       ErrorKind = "tool_error"
	ErrTimeout          ErrorKind = "timeout"
	ErrPanic            ErrorKind = "panic"
	ErrUnavailable      ErrorKind = "unavailable"
	ErrCallLimit        ErrorKind = "call_limit"
)

// CallError says why a tool call failed, in words meant for the model.
type CallError struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
}

// Error implements error.
func (e *CallError) Error() string { return fmt.Sprintf("%s: %s", e.Kind, e.Message) }

// Result is the outcome of one tool call.
type Result struct {
	// Output is the tool's result as text (JSON for structured results);
	// empty when Err is set.
	Output string
	// Err is set when the call failed.
	Err *CallError
	// Duration is the wall time of validation and execution.
	Duration time.Duration
	// Truncated reports that Output was cut to the registry's size cap.
	Truncated bool
	// OriginalBytes is the size of the output before truncation.
	OriginalBytes int
	// Replayed reports that the result came from the record/replay store.
	Replayed bool
	// StoreError says why recording the result failed, if it did.
	StoreError string
}

// Content returns what the model sees in the tool message.
func (r Result) Content() string {
	if r.Err != nil {
		return fmt.Sprintf("Error (%s): %s", r.Err.Kind, r.Err.Message)
	}
	return r.Output
}

// Failed returns a Result for a call that failed before it could run.
func Failed(kind ErrorKind, format string, args ...any) Result {
	return Result{Err: &CallError{Kind: kind, Message: fmt.Sprintf(format, args...)}}
}
