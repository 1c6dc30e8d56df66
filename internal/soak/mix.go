package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The hostile mix (Config.HostileMix): the run's first half carries the
// ordinary load only, the second adds what a policy under RL or a bad
// client throws at a server — fork-and-spin and memory bombs in many
// sandbox slots, slots held by long calls, megabytes of degenerate raw
// model text, idle connections. A probe plays plain episodes all along and
// times each step: the normal trainers' p99 with the mix, over their p99
// without it, must stay under 2.

// probe records the step latencies of the probe's episodes, by phase.
type probe struct {
	mu       sync.Mutex
	hostile  atomic.Bool // the mix has started
	calm, hs []time.Duration
}

func (p *probe) add(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hostile.Load() {
		p.hs = append(p.hs, d)
	} else {
		p.calm = append(p.calm, d)
	}
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// episodes resets one episode after another on a connection (with the
// reset options given) and hands each to play, until play says stop or ctx
// ends; then it starts over on a new connection.
func (r *runState) episodes(ctx context.Context, rng *rand.Rand, what string, options map[string]any, play func(c *client, ep string) bool) {
	for ctx.Err() == nil {
		c := r.connect(ctx, what+" connect")
		if c == nil {
			continue
		}
		for ctx.Err() == nil {
			params := map[string]any{"task_id": fmt.Sprintf("soak-%d", rng.IntN(soakTasks))}
			if options != nil {
				params["options"] = options
			}
			reply, err := c.call("reset", params)
			if err != nil || errorCode(reply) != "" {
				break
			}
			if !play(c, reply["result"].(map[string]any)["episode"].(string)) {
				break
			}
		}
		c.ws.Close()
	}
}

// probeWorker plays one plain episode after another on one connection:
// a calculator step, then the answer, timing each step.
func (r *runState) probeWorker(ctx context.Context, rng *rand.Rand) {
	r.episodes(ctx, rng, "probe", nil, func(c *client, ep string) bool {
		args, _ := json.Marshal(map[string]string{"expression": "6 * 7"})
		calc := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
			map[string]any{"id": "p", "type": "function", "function": map[string]any{"name": "calculator", "arguments": string(args)}}}}
		ok := true
		for _, msg := range []map[string]any{calc, {"role": "assistant", "content": "<answer>42</answer>"}} {
			start := time.Now()
			reply, err := c.call("step", map[string]any{"episode": ep, "message": msg})
			if err != nil || errorCode(reply) != "" {
				ok = false
				break
			}
			r.probe.add(time.Since(start))
		}
		_, _ = c.call("close", map[string]any{"episode": ep})
		return ok
	})
}

// spinners are hostile code that leaves processes running or takes memory
// in the slot it runs in.
var spinners = []string{
	"import os\nfor _ in range(30):\n    if os.fork() == 0:\n        while True: pass\nprint('forked')",
	"x = []\nwhile True: x.append(bytearray(1 << 24))",
	"while True: pass",
}

// hoarderWorker holds sandbox slots: episode after episode, each running a
// call that spins, forks, takes memory or sleeps, a third of them left
// open (holding their slot).
func (r *runState) hoarderWorker(ctx context.Context, rng *rand.Rand) {
	r.episodes(ctx, rng, "hoarder", nil, func(c *client, ep string) bool {
		code := spinners[rng.IntN(len(spinners))]
		if rng.IntN(2) == 0 {
			code = "import time\ntime.sleep(3)"
		}
		args, _ := json.Marshal(map[string]string{"code": code})
		msg := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
			map[string]any{"id": "h", "type": "function", "function": map[string]any{"name": "code_execution", "arguments": string(args)}}}}
		if _, err := c.call("step", map[string]any{"episode": ep, "message": msg}); err != nil {
			return false
		}
		atomic.AddInt64(&r.rep.HostileCalls, 1)
		if rng.IntN(3) != 0 {
			_, _ = c.call("close", map[string]any{"episode": ep})
		}
		return true
	})
}

// textWorker sends raw qwen3_coder text that a model stuck in a loop
// writes: a tool call with a run of open <parameter= tags, megabytes long.
func (r *runState) textWorker(ctx context.Context, rng *rand.Rand) {
	r.episodes(ctx, rng, "text", map[string]any{"tool_call_format": "qwen3_coder"}, func(c *client, ep string) bool {
		n := 20_000 + rng.IntN(150_000) // 0.5 to 4 MB
		text := "<tool_call><function=calculator>" + strings.Repeat("<parameter=expression>1", n) + "</function></tool_call>"
		if _, err := c.call("step", map[string]any{"episode": ep, "text": text}); err != nil {
			return false
		}
		atomic.AddInt64(&r.rep.HostileCalls, 1)
		_, _ = c.call("close", map[string]any{"episode": ep})
		return true
	})
}

// idleConnections opens n TCP connections to the server and holds them
// without a request, until ctx ends.
func (r *runState) idleConnections(ctx context.Context, n int) {
	u, err := url.Parse(r.url)
	if err != nil {
		return
	}
	var conns []net.Conn
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			conns = append(conns, c)
		}
	}
	<-ctx.Done()
	for _, c := range conns {
		c.Close()
	}
}
