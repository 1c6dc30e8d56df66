// Package chatcall makes chat-completion requests to OpenAI-compatible
// endpoints with the retry policy every caller in the project shares: a
// deadline per attempt, retries with doubling backoff on timeouts, 429 and
// 5xx answers and connection errors, an optional rate limit.
package chatcall

import (
	"context"
	"errors"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"
)

// Options are a caller's policy.
type Options struct {
	Timeout    time.Duration // per attempt
	Retries    int           // more attempts after a retryable failure
	Backoff    time.Duration // first wait between attempts, doubled each time
	MaxBackoff time.Duration // longest wait (0: 30 s)
	Limit      *rate.Limiter // paces every attempt; nil for none
}

// Outcome says how a call went: attempts made, and whether the last one
// timed out.
type Outcome struct {
	Attempts int
	TimedOut bool
}

// Complete sends req until it succeeds, fails for good, or the retries
// are spent; the error is the last attempt's (or ctx's).
func Complete(ctx context.Context, c *openai.Client, req openai.ChatCompletionRequest, o Options) (openai.ChatCompletionResponse, Outcome, error) {
	maxWait := o.MaxBackoff
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	wait := o.Backoff
	var out Outcome
	var last error
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return openai.ChatCompletionResponse{}, out, ctx.Err()
			}
			wait = min(2*wait, maxWait)
		}
		if o.Limit != nil {
			if err := o.Limit.Wait(ctx); err != nil {
				return openai.ChatCompletionResponse{}, out, err
			}
		}
		actx, cancel := context.WithTimeout(ctx, o.Timeout)
		resp, err := c.CreateChatCompletion(actx, req)
		out.Attempts++
		out.TimedOut = actx.Err() == context.DeadlineExceeded
		cancel()
		if err == nil {
			return resp, out, nil
		}
		last = err
		if ctx.Err() != nil || !Retryable(err, out.TimedOut) {
			break
		}
	}
	return openai.ChatCompletionResponse{}, out, last
}

// Retryable reports a failure worth another attempt: a timeout, 429 or
// 5xx, or a connection error (not a cancellation, not another status).
func Retryable(err error, timedOut bool) bool {
	if timedOut {
		return true
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	}
	return !errors.Is(err, context.Canceled)
}
