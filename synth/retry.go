package synth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	openai "github.com/sashabaranov/go-openai"
)

// ChatWithRetry calls the chat-completions endpoint, retrying timeouts,
// 429 and 5xx answers and connection errors up to retries more times,
// waiting backoff, doubled each time (at most 30 s). timeout bounds each
// attempt; limit (nil for none) paces every attempt.
func ChatWithRetry(ctx context.Context, c *openai.Client, req openai.ChatCompletionRequest, timeout time.Duration, retries int, backoff time.Duration, limit *rate.Limiter) (openai.ChatCompletionResponse, error) {
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		if limit != nil {
			if err := limit.Wait(ctx); err != nil {
				return openai.ChatCompletionResponse{}, err
			}
		}
		if attempt > 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return openai.ChatCompletionResponse{}, ctx.Err()
			}
			backoff = min(2*backoff, 30*time.Second)
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := c.CreateChatCompletion(actx, req)
		timedOut := actx.Err() == context.DeadlineExceeded
		cancel()
		if err == nil {
			return resp, nil
		}
		last = err
		if ctx.Err() != nil || !retryable(err, timedOut) {
			break
		}
	}
	return openai.ChatCompletionResponse{}, last
}

func retryable(err error, timedOut bool) bool {
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
