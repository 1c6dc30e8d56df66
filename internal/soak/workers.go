package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// runState is shared by the workers of one run.
type runState struct {
	cfg      Config
	url      string
	rep      *Report
	taskFile string
	stopping atomic.Bool // set once the SIGTERM is on its way: errors are expected from then on

	mu             sync.Mutex
	finished       map[string]bool           // episodes whose final reply a worker received
	unanswered     map[string]unansweredStep // episodes with a step unanswered at the 1001 close
	hostileSlowest atomic.Int64              // nanoseconds
	sandboxUp      atomic.Bool               // a code_execution call ran
	probe          probe                     // step latencies of the probe (HostileMix)
}

// unansweredStep is a step the 1001 close left unanswered: the turns its
// episode had acknowledged, and whether the step was re-sent after a resume
// (its first send went out on a connection that dropped).
type unansweredStep struct {
	acked  int
	resent bool
}

// unexpected counts an error that a healthy server never causes.
func (r *runState) unexpected(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.UnexpectedErrors[what]++
}

var errGone = errors.New("connection gone")

// client is one websocket speaking JSON, one request at a time.
type client struct {
	ws    *websocket.Conn
	next  int
	token string
}

func (r *runState) dial(subprotocol string) (*client, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{subprotocol}}
	ws, resp, err := d.Dial(r.url, nil)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
			return nil, errGone
		}
		return nil, err
	}
	return &client{ws: ws}, nil
}

// call sends one request and waits for its reply (30 s at most).
func (c *client) call(op string, params any) (map[string]any, error) {
	c.next++
	if err := c.send(op, params); err != nil {
		return nil, err
	}
	return c.await()
}

func (c *client) send(op string, params any) error {
	req := map[string]any{"id": c.next, "op": op}
	if params != nil {
		req["params"] = params
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(req)
}

func (c *client) await() (map[string]any, error) {
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		var reply map[string]any
		if err := c.ws.ReadJSON(&reply); err != nil {
			return nil, err
		}
		if id, _ := reply["id"].(float64); int(id) == c.next {
			return reply, nil
		}
	}
}

func errorCode(reply map[string]any) string {
	e, _ := reply["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// expectedEnd reports whether a connection error is the server going away
// (the SIGTERM at the end of the run).
func (r *runState) expectedEnd(ctx context.Context, err error) bool {
	if websocket.IsCloseError(err, websocket.CloseGoingAway) {
		atomic.AddInt64(&r.rep.GoingAwayCloses, 1)
		return true
	}
	return ctx.Err() != nil || r.stopping.Load()
}

func (r *runState) hello(c *client, resume string) error {
	var params any
	if resume != "" {
		params = map[string]any{"resume": resume}
	}
	reply, err := c.call("hello", params)
	if err != nil {
		return err
	}
	if code := errorCode(reply); code != "" {
		return fmt.Errorf("hello: %s", code)
	}
	c.token, _ = reply["result"].(map[string]any)["session"].(string)
	return nil
}

var numbers = regexp.MustCompile(`\d+`)

// connect opens a JSON connection and says hello; on failure it counts the
// error unless the server is going away, pauses, and returns nil.
func (r *runState) connect(ctx context.Context, what string) *client {
	c, err := r.dial("dive.v1.json")
	if err == nil {
		if err = r.hello(c, ""); err != nil {
			c.ws.Close()
		}
	}
	if err != nil {
		if !r.expectedEnd(ctx, err) && !errors.Is(err, errGone) {
			r.unexpected(what + ": " + err.Error())
		}
		time.Sleep(100 * time.Millisecond)
		return nil
	}
	return c
}

// episodeWorker plays ordinary episodes: a calculator call (and sometimes a
// code_execution call that leaves a marker in the episode's sandbox), then
// the answer; it drops its connection at random, then resumes or abandons.
func (r *runState) episodeWorker(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		c := r.connect(ctx, "connect")
		if c == nil {
			continue
		}
		for ctx.Err() == nil {
			next, err := r.playEpisode(ctx, rng, c)
			if err != nil {
				if !r.expectedEnd(ctx, err) {
					r.unexpected("episode: " + err.Error())
				}
				c.ws.Close()
				break
			}
			if next != c {
				c.ws.Close()
				if next == nil {
					break // abandoned: start over on a fresh connection
				}
				c = next
			}
		}
		c.ws.Close()
	}
}

// playEpisode runs one episode and returns the client to go on with (a
// resumed one after a drop, nil after an abandon).
func (r *runState) playEpisode(ctx context.Context, rng *rand.Rand, c *client) (*client, error) {
	task := fmt.Sprintf("soak-%d", rng.IntN(soakTasks))
	reply, err := c.call("reset", map[string]any{"task_id": task})
	if err != nil {
		return nil, err
	}
	if code := errorCode(reply); code != "" {
		return nil, fmt.Errorf("reset: %s", code)
	}
	res := reply["result"].(map[string]any)
	ep := res["episode"].(string)
	msgs := res["messages"].([]any)
	nums := numbers.FindAllString(msgs[len(msgs)-1].(map[string]any)["content"].(string), -1)
	marker := "secret_" + strings.NewReplacer("-", "_").Replace(ep)
	args, _ := json.Marshal(map[string]string{"expression": nums[0] + " * " + nums[1]})
	calls := []any{map[string]any{"id": "calc", "type": "function", "function": map[string]any{"name": "calculator", "arguments": string(args)}}}
	withCode := rng.Float64() < r.cfg.CodeRate
	if withCode {
		code := fmt.Sprintf("%s = 1\nprint(sorted(k for k in globals() if k.startswith('secret_')))", marker)
		cargs, _ := json.Marshal(map[string]string{"code": code})
		calls = append(calls, map[string]any{"id": "code", "type": "function", "function": map[string]any{"name": "code_execution", "arguments": string(cargs)}})
	}
	step1 := map[string]any{"episode": ep, "turn": 1, "message": map[string]any{"role": "assistant", "content": "", "tool_calls": calls}}
	out, c, err := r.step(ctx, rng, c, step1)
	if err != nil || c == nil {
		return c, err
	}
	tools := out["messages"].([]any)
	var result struct {
		Result json.Number `json:"result"`
	}
	if err := json.Unmarshal([]byte(tools[0].(map[string]any)["content"].(string)), &result); err != nil {
		return c, fmt.Errorf("calculator result %v: %w", tools[0], err)
	}
	if withCode {
		r.checkLeak(tools[1].(map[string]any)["content"].(string), marker)
	}
	step2 := map[string]any{"episode": ep, "turn": 2, "message": map[string]any{"role": "assistant", "content": "<answer>" + result.Result.String() + "</answer>"}}
	out, c, err = r.step(ctx, rng, c, step2)
	if err != nil || c == nil {
		return c, err
	}
	if out["done"] != true {
		return c, fmt.Errorf("the answer did not end episode %s: %v", ep, out)
	}
	if score := out["reward"].(map[string]any)["score"]; score != 1.0 {
		r.unexpected(fmt.Sprintf("a right answer scored %v", score))
	}
	r.mu.Lock()
	r.finished[ep] = true
	r.mu.Unlock()
	atomic.AddInt64(&r.rep.Episodes, 1)
	_, _ = c.call("close", map[string]any{"episode": ep})
	return c, nil
}

// checkLeak: an episode's sandbox shows its own marker and no other.
func (r *runState) checkLeak(content, marker string) {
	if strings.Contains(content, "unavailable") {
		return
	}
	r.sandboxUp.Store(true)
	if strings.Count(content, "secret_") > strings.Count(content, marker) {
		atomic.AddInt64(&r.rep.Leaks, 1)
		r.cfg.Log.Error("sandbox state seen from another episode", "marker", marker, "content", content)
		return
	}
	if !strings.Contains(content, "'"+marker+"'") {
		atomic.AddInt64(&r.rep.SandboxErrors, 1) // a scored tool failure (a slot busy past the call's deadline), not a fault
		r.cfg.Log.Debug("code_execution failed", "content", firstLine(content))
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// step sends a step; with probability DropRate it drops the connection
// right after sending, then either resumes (re-sending the step with its
// turn) or abandons the episode (returns a nil client).
func (r *runState) step(ctx context.Context, rng *rand.Rand, c *client, params map[string]any) (map[string]any, *client, error) {
	resent := false
	c.next++
	if err := c.send("step", params); err != nil {
		return nil, c, err
	}
	if rng.Float64() < r.cfg.DropRate {
		atomic.AddInt64(&r.rep.Drops, 1)
		c.ws.UnderlyingConn().Close()
		if rng.IntN(2) == 0 {
			atomic.AddInt64(&r.rep.Abandoned, 1)
			return nil, nil, nil
		}
		nc, err := r.dial("dive.v1.json")
		if err != nil {
			return nil, c, err
		}
		if err := r.hello(nc, c.token); err != nil {
			nc.ws.Close()
			return nil, c, fmt.Errorf("resume: %w", err)
		}
		atomic.AddInt64(&r.rep.Resumes, 1)
		c = nc
		resent = true
		c.next++
		if err := c.send("step", params); err != nil {
			return nil, c, err
		}
	}
	reply, err := c.await()
	if err != nil {
		if websocket.IsCloseError(err, websocket.CloseGoingAway) {
			// The server drained without answering: it promises the step never ran.
			r.mu.Lock()
			r.unanswered[params["episode"].(string)] = unansweredStep{acked: params["turn"].(int) - 1, resent: resent}
			r.mu.Unlock()
		}
		return nil, c, err
	}
	if code := errorCode(reply); code != "" {
		return nil, c, fmt.Errorf("step: %s %v", code, reply["error"])
	}
	atomic.AddInt64(&r.rep.Steps, 1)
	return reply["result"].(map[string]any), c, nil
}

// hostile is code a model might write to escape, exhaust or spy.
func (r *runState) hostile() []string {
	return []string{
		"while True: pass",
		"import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
		"x = []\nwhile True: x.append(bytearray(1 << 24))",
		"print('A' * 50_000_000)",
		fmt.Sprintf("print(open(%q).read()[:200])", r.taskFile),
		"import socket\ns = socket.socket(); s.settimeout(1); s.connect(('127.0.0.1', 22))",
		"import os\nprint(sorted(os.environ))",
		"open('/etc/dive-soak', 'w').write('x')",
		"import ctypes; ctypes.string_at(0)",
	}
}

// hostileWorker runs hostile code in code_execution; every call must come
// back as a tool result within the call deadline, and none may read the
// server's task file.
func (r *runState) hostileWorker(ctx context.Context, rng *rand.Rand) {
	snippets := r.hostile()
	for ctx.Err() == nil {
		c := r.connect(ctx, "hostile connect")
		if c == nil {
			continue
		}
		for ctx.Err() == nil {
			reply, err := c.call("reset", map[string]any{"task_id": fmt.Sprintf("soak-%d", rng.IntN(soakTasks))})
			if err != nil {
				if !r.expectedEnd(ctx, err) {
					r.unexpected("hostile reset: " + err.Error())
				}
				break
			}
			ep := reply["result"].(map[string]any)["episode"].(string)
			code := snippets[rng.IntN(len(snippets))]
			args, _ := json.Marshal(map[string]string{"code": code})
			msg := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
				map[string]any{"id": "h", "type": "function", "function": map[string]any{"name": "code_execution", "arguments": string(args)}}}}
			start := time.Now()
			reply, err = c.call("step", map[string]any{"episode": ep, "message": msg})
			took := time.Since(start)
			if err != nil {
				if !r.expectedEnd(ctx, err) {
					r.unexpected("hostile step: " + err.Error())
				}
				break
			}
			atomic.AddInt64(&r.rep.HostileCalls, 1)
			for {
				old := r.hostileSlowest.Load()
				if int64(took) <= old || r.hostileSlowest.CompareAndSwap(old, int64(took)) {
					break
				}
			}
			if took > 20*time.Second {
				r.unexpected(fmt.Sprintf("a hostile call took %v", took.Round(time.Second)))
			}
			if code := errorCode(reply); code != "" {
				r.unexpected("hostile step error " + code)
				break
			}
			content := reply["result"].(map[string]any)["messages"].([]any)[0].(map[string]any)["content"].(string)
			if strings.Contains(content, "ground_truth") {
				atomic.AddInt64(&r.rep.Leaks, 1)
			}
			_, _ = c.call("close", map[string]any{"episode": ep})
		}
		c.ws.Close()
	}
}

// garbageWorker sends frames the server must refuse without falling over:
// wrong frame types, broken JSON, unknown ops, deep nesting, oversized frames,
// and msgpack that declares more than it holds.
func (r *runState) garbageWorker(ctx context.Context, rng *rand.Rand) {
	frames := []func() (int, []byte){
		func() (int, []byte) { return websocket.BinaryMessage, []byte{0xde, 0xad, 0xbe, 0xef} },
		func() (int, []byte) { return websocket.TextMessage, []byte(`{"id": 1, "op": "step", "params": `) },
		func() (int, []byte) { return websocket.TextMessage, []byte(`{"id": 2, "op": "frobnicate"}`) },
		func() (int, []byte) {
			return websocket.TextMessage, []byte(`{"id": 3, "op": "reset", "params": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`)
		},
		func() (int, []byte) {
			return websocket.TextMessage, []byte(`{"id": 4, "op": "step", "params": {"episode": "ep-nope", "text": "x"}}`)
		},
		func() (int, []byte) {
			b := make([]byte, 64+rng.IntN(256))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return websocket.TextMessage, b
		},
	}
	oversize := func() (int, []byte) { return websocket.TextMessage, make([]byte, 1_500_000) }
	for ctx.Err() == nil {
		sub := "dive.v1.json"
		msgpackConn := rng.IntN(3) == 0
		if msgpackConn {
			sub = "dive.v1.msgpack"
		}
		c, err := r.dial(sub)
		if err != nil {
			if !r.expectedEnd(ctx, err) && !errors.Is(err, errGone) {
				r.unexpected("garbage connect: " + err.Error())
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i := 0; i < 50 && ctx.Err() == nil; i++ {
			mt, data := frames[rng.IntN(len(frames))]()
			if msgpackConn {
				mt, data = websocket.BinaryMessage, []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01} // a 4-billion-element array in 6 bytes
			}
			if rng.IntN(40) == 0 {
				mt, data = oversize()
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(mt, data); err != nil {
				break
			}
			atomic.AddInt64(&r.rep.BadFrames, 1)
			_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, _, err := c.ws.ReadMessage(); err != nil {
				if websocket.IsCloseError(err, websocket.CloseMessageTooBig, websocket.ClosePolicyViolation) {
					atomic.AddInt64(&r.rep.CutOff, 1)
				} else if !r.expectedEnd(ctx, err) && !websocket.IsUnexpectedCloseError(err) {
					r.unexpected("garbage read: " + err.Error())
				}
				break
			}
		}
		c.ws.Close()
	}
}
