package env

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// instantPolicy answers at once from canned bodies: a calculator call, or
// the answer once the conversation has a tool result. It reads the request
// but decodes nothing, so the benchmark measures dive's side of each turn.
func instantPolicy(answer string) http.Handler {
	call := []byte(`{"id":"c","object":"chat.completion","created":1,"model":"p","choices":[{"index":0,"finish_reason":"tool_calls",` +
		`"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"calculator","arguments":"{\"expression\":\"17*23\"}"}}]}}]}`)
	final := []byte(`{"id":"c","object":"chat.completion","created":1,"model":"p","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"<answer>` + answer + `</answer>"}}]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(body, []byte(`"role":"tool"`)) {
			_, _ = w.Write(final)
			return
		}
		_, _ = w.Write(call)
	})
}

// BenchmarkRollout runs GRPO groups of a two-turn task (a calculator call,
// then the answer) against a policy that answers instantly: the server's
// own cost per rollout and per turn — reset, policy round trip over
// loopback HTTP through go-openai, step with a real tool call, scoring,
// close. Reports rollouts/s and µs/turn (wall, the group running
// concurrently).
func BenchmarkRollout(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("group=%d", n), func(b *testing.B) {
			te := newTestEnv(b, nil, nil)
			task := calculatorTask(b, te)
			truth, _ := te.tasks.Get(task)
			hs := httptest.NewServer(instantPolicy(truth.GroundTruth))
			b.Cleanup(hs.Close)
			seed := uint64(1)
			p := RolloutParams{TaskID: task, N: n, Seed: &seed, Policy: PolicySpec{BaseURL: hs.URL + "/v1", Model: "p"}}
			b.ReportAllocs()
			b.ResetTimer()
			episodes := 0
			for b.Loop() {
				res, perr := te.engine.Rollout(context.Background(), "bench", p, nil)
				if perr != nil || res.MeanReward != 1 {
					b.Fatalf("%+v %+v", res, perr)
				}
				episodes += n
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(episodes)/secs, "rollouts/s")
			b.ReportMetric(secs*1e6/float64(2*episodes), "µs/turn")
		})
	}
}
