package chatcall

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	openai "github.com/sashabaranov/go-openai"
)

func TestComplete(t *testing.T) {
	var n atomic.Int64
	status := func(call int64) int {
		switch {
		case call == 1:
			return http.StatusServiceUnavailable
		case call == 2:
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Bad") != "" || r.URL.Path == "/bad/chat/completions" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error": {"message": "bad request", "type": "invalid_request_error"}}`)
			return
		}
		if s := status(c); s != http.StatusOK {
			w.WriteHeader(s)
			io.WriteString(w, `{"error": {"message": "busy", "type": "server_error"}}`)
			return
		}
		io.WriteString(w, `{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0,
			"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}], "usage": {"total_tokens": 1}}`)
	}))
	defer srv.Close()
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL + "/v1"
	c := openai.NewClientWithConfig(cfg)
	req := openai.ChatCompletionRequest{Model: "m", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}
	resp, out, err := Complete(context.Background(), c, req, Options{Timeout: time.Second, Retries: 3, Backoff: time.Millisecond, Limit: rate.NewLimiter(rate.Limit(1000), 1)})
	if err != nil || resp.Choices[0].Message.Content != "ok" || n.Load() != 3 || out.Attempts != 3 {
		t.Fatalf("after a 503 and a 429: %v, %d requests", err, n.Load())
	}
	cfg.BaseURL = srv.URL + "/bad"
	bad := openai.NewClientWithConfig(cfg)
	n.Store(10)
	if _, out, err := Complete(context.Background(), bad, req, Options{Timeout: time.Second, Retries: 3, Backoff: time.Millisecond}); err == nil || n.Load() != 11 || out.Attempts != 1 {
		t.Fatalf("a 400 is not retried: %v, %d requests", err, n.Load()-10)
	}
}
