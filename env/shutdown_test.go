package env

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// sleepExecutor is a tool that sleeps {"ms": N} milliseconds, or until its
// context ends.
func sleepExecutor() toolexec.Executor {
	return toolexec.ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			MS int `json:"ms"`
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		select {
		case <-time.After(time.Duration(a.MS) * time.Millisecond):
			return map[string]any{"slept_ms": a.MS}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

// slowEngine serves one task whose only tool sleeps for the given milliseconds.
func slowEngine(t *testing.T, callTimeout time.Duration) *Engine {
	t.Helper()
	reg := toolexec.NewRegistry(toolexec.Options{CallTimeout: callTimeout})
	sleep := sleepExecutor()
	err := reg.Register(toolexec.Manifest{ID: "test.time.sleep", Name: "sleep", Domain: "test", Description: "Sleep for ms milliseconds.",
		Parameters: json.RawMessage(`{"type":"object","required":["ms"],"properties":{"ms":{"type":"integer","minimum":0,"maximum":10000}}}`)}, sleep, "")
	if err != nil {
		t.Fatal(err)
	}
	set, err := tasks.NewSet([]tasks.Task{{ID: "slow", Question: "Sleep, then say done.", GroundTruth: "done", Tools: []string{"test.time.sleep"}}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// serveOnLoopback runs srv on a free loopback port until the test ends and
// returns its websocket URL.
func serveOnLoopback(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln, time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "ws://" + ln.Addr().String() + EndpointPath
}

// TestGracefulShutdown: on shutdown, in-flight steps finish and are
// answered, then clients get close code 1001, and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	srv := NewServer(slowEngine(t, 0), DefaultServerConfig(), quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, 10*time.Second) }()
	url := "ws://" + ln.Addr().String() + EndpointPath

	const episodes = 20
	c := dial(t, url, SubprotocolMsgpack)
	var steps []chan map[string]any
	for i := 0; i < episodes; i++ {
		ep := c.result(OpReset, map[string]any{"task_id": "slow"})["episode"]
		_, ch := c.send(OpStep, map[string]any{"episode": ep, "message": map[string]any{"role": "assistant",
			"tool_calls": []any{openAICall("s", "sleep", map[string]any{"ms": 300})}}})
		steps = append(steps, ch)
	}
	time.Sleep(50 * time.Millisecond) // the steps are now sleeping in their tool
	start := time.Now()
	cancel()
	for i, ch := range steps {
		r := c.wait(ch)
		res, _ := r["result"].(map[string]any)
		if res == nil || !strings.Contains(res["messages"].([]any)[0].(map[string]any)["content"].(string), "slept_ms") {
			t.Fatalf("in-flight step %d was not finished: %v", i, r)
		}
	}
	c.waitClose(websocket.CloseGoingAway)
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("drain took %v", took)
	}
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Fatal("new connections accepted after shutdown")
	}
}

// TestToolDeadlineIsAScoredFailure: a tool past its deadline returns a
// timeout tool message, and the step returns on time.
func TestToolDeadlineIsAScoredFailure(t *testing.T) {
	url := serveOnLoopback(t, NewServer(slowEngine(t, 50*time.Millisecond), DefaultServerConfig(), quietLogger()))
	c := dial(t, url, SubprotocolJSON)
	ep := c.result(OpReset, map[string]any{"task_id": "slow"})["episode"]
	start := time.Now()
	r := c.result(OpStep, map[string]any{"episode": ep, "message": map[string]any{"role": "assistant",
		"tool_calls": []any{openAICall("s", "sleep", map[string]any{"ms": 5000})}}})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("step took %v despite a 50ms tool deadline", took)
	}
	info := r["info"].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)
	if info["error"].(map[string]any)["kind"] != string(toolexec.ErrTimeout) {
		t.Fatalf("call info = %v", info)
	}
}

// TestBackpressureAndFrameLimit: with one request in flight allowed, steps of
// different episodes run one after another; a frame over the limit closes
// the connection with 1009.
func TestBackpressureAndFrameLimit(t *testing.T) {
	cfg := DefaultServerConfig()
	cfg.MaxInFlight = 1
	cfg.MaxFrameBytes = 4096
	url := serveOnLoopback(t, NewServer(slowEngine(t, 0), cfg, quietLogger()))

	c := dial(t, url, SubprotocolJSON)
	if lim := c.result(OpHello, nil)["limits"].(map[string]any); lim["max_in_flight"] != 1.0 || lim["max_frame_bytes"] != 4096.0 {
		t.Fatalf("limits %v", lim)
	}
	if took := threeSteps(t, c, 0, 100); took < 300*time.Millisecond {
		t.Fatalf("3 steps of 100ms with 1 in flight took %v: not serialized", took)
	}

	big := dial(t, url, SubprotocolJSON)
	// The server may close while the frame is still being written: a write error is fine here.
	big.mu.Lock()
	_ = big.ws.WriteMessage(websocket.TextMessage, []byte(`{"id": 1, "op": "hello", "params": {"pad": "`+strings.Repeat("x", 8192)+`"}}`))
	big.mu.Unlock()
	big.waitClose(websocket.CloseMessageTooBig)
	// The other connection is unaffected.
	if c.result(OpHello, nil)["protocol"] != ProtocolVersion {
		t.Fatal("a misbehaving client affected another connection")
	}
}

// TestInFlightBytesBudget: with room for one large step's frame in flight,
// large steps of different episodes run one after another even though
// max_in_flight allows them all (one connection queuing 100 steps of
// 15 MiB behind a slow call took a server to 2.1 GB); small frames still
// run side by side.
func TestInFlightBytesBudget(t *testing.T) {
	t.Run("connection", func(t *testing.T) {
		cfg := DefaultServerConfig()
		cfg.MaxInFlightBytes = 3000
		checkInFlightBudget(t, cfg, 3000)
	})
	// The whole server's budget (a share of its memory limit by default)
	// holds the same way, across connections.
	t.Run("server", func(t *testing.T) {
		cfg := DefaultServerConfig()
		cfg.MaxInFlightBytesTotal = 3000
		checkInFlightBudget(t, cfg, float64(cfg.MaxInFlightBytes))
	})
	if d := defaultInFlightTotal(); d < 256<<20 {
		t.Fatalf("the default server budget %d is under 256 MiB", d)
	}
}

func checkInFlightBudget(t *testing.T, cfg ServerConfig, perConnection float64) {
	url := serveOnLoopback(t, NewServer(slowEngine(t, 0), cfg, quietLogger()))
	c := dial(t, url, SubprotocolJSON)
	if lim := c.result(OpHello, nil)["limits"].(map[string]any); lim["max_in_flight_bytes"] != perConnection {
		t.Fatalf("limits %v", lim)
	}
	if took := threeSteps(t, c, 2000, 150); took < 450*time.Millisecond {
		t.Fatalf("3 steps of 2 KB and 150 ms with a 3 KB budget took %v: not one at a time", took)
	}
	if took := threeSteps(t, c, 10, 150); took > 440*time.Millisecond {
		t.Logf("3 small steps took %v (side by side expected; a slow machine?)", took)
	}
}

// threeSteps resets three episodes of the slow task, sends each a step
// at once (content of pad bytes, a sleep call of ms), and returns how long
// until all three replies came.
func threeSteps(t *testing.T, c *client, pad, ms int) time.Duration {
	t.Helper()
	var eps []any
	for i := 0; i < 3; i++ {
		eps = append(eps, c.result(OpReset, map[string]any{"task_id": "slow"})["episode"])
	}
	start := time.Now()
	var chans []chan map[string]any
	for _, ep := range eps {
		_, ch := c.send(OpStep, map[string]any{"episode": ep, "message": map[string]any{"role": "assistant", "content": strings.Repeat("x", pad),
			"tool_calls": []any{openAICall("s", "sleep", map[string]any{"ms": ms})}}})
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		if r := c.wait(ch); r["error"] != nil {
			t.Fatal(r["error"])
		}
	}
	return time.Since(start)
}
