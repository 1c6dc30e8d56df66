// Package bench is the load generator of `dive bench`: connections ×
// concurrent episodes against a dive.v1 server, each episode a run of
// one-tool steps, with latency percentiles; and the same load against a bare
// websocket+msgpack echo server, whose rate is the ceiling the step rate is
// compared with.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"
)

// Config shapes a load.
type Config struct {
	// URL is the server's websocket endpoint.
	URL string
	// Token is sent as a bearer token when set.
	Token string
	// Connections × Concurrency episodes run at once, each one request at a time.
	Connections, Concurrency int
	// Duration bounds the run; Steps, when positive, ends it sooner.
	Duration time.Duration
	Steps    int64
	// Encoding is "msgpack" or "json".
	Encoding string
	// TaskID is the task every episode runs; Turns its steps per episode.
	TaskID string
	Turns  int
	// Call is the tool call of every step: name and JSON arguments.
	ToolName, ToolArgs string
	// OnProgress, when set, is called about once a second with the steps so far.
	OnProgress func(steps int64, elapsed time.Duration)
}

// Result is what one load measured.
type Result struct {
	Steps     int64
	Errors    int64
	ErrorKind map[string]int64
	Elapsed   time.Duration
	// Latencies of every step, sorted.
	latencies []time.Duration
}

// PerSecond is the step rate.
func (r *Result) PerSecond() float64 { return float64(r.Steps) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile step latency (p in [0, 100]).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.latencies)-1))
	return r.latencies[i]
}

// conn multiplexes the requests of many episodes over one websocket.
type conn struct {
	ws      *websocket.Conn
	msgpack bool
	wmu     sync.Mutex
	mu      sync.Mutex
	next    int64
	waiting map[int64]chan []byte
	done    chan struct{}
}

func dial(ctx context.Context, url, encoding, token string) (*conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{"dive.v1." + encoding}}
	var h http.Header
	if token != "" {
		h = http.Header{"Authorization": {"Bearer " + token}}
	}
	ws, _, err := d.DialContext(ctx, url, h)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c := &conn{ws: ws, msgpack: encoding == "msgpack", waiting: map[int64]chan []byte{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *conn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var head struct {
			ID int64 `json:"id" msgpack:"id"`
		}
		if c.msgpack {
			err = msgpack.Unmarshal(data, &head)
		} else {
			err = json.Unmarshal(data, &head)
		}
		if err != nil {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[head.ID]
		delete(c.waiting, head.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- data
		}
	}
}

// close says goodbye with a close frame, then drops the socket.
func (c *conn) close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}

// call sends a request built by frame(id) and returns the raw reply.
func (c *conn) call(frame func(id int64) []byte) ([]byte, error) {
	ch := make(chan []byte, 1)
	c.mu.Lock()
	c.next++
	id := c.next
	c.waiting[id] = ch
	c.mu.Unlock()
	mt := websocket.TextMessage
	if c.msgpack {
		mt = websocket.BinaryMessage
	}
	c.wmu.Lock()
	err := c.ws.WriteMessage(mt, frame(id))
	c.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case data := <-ch:
		return data, nil
	case <-c.done:
		return nil, errors.New("connection closed")
	case <-time.After(60 * time.Second):
		return nil, errors.New("no reply within 60 s")
	}
}

func (c *conn) encode(v any) []byte {
	if c.msgpack {
		b, _ := msgpack.Marshal(v)
		return b
	}
	b, _ := json.Marshal(v)
	return b
}

// reply is the part of a reply the load looks at.
type reply struct {
	Error *struct {
		Code string `json:"code" msgpack:"code"`
	} `json:"error" msgpack:"error"`
	Result struct {
		Episode string `json:"episode" msgpack:"episode"`
		Done    bool   `json:"done" msgpack:"done"`
	} `json:"result" msgpack:"result"`
}

func (c *conn) decode(data []byte) (reply, error) {
	var r reply
	var err error
	if c.msgpack {
		err = msgpack.Unmarshal(data, &r)
	} else {
		err = json.Unmarshal(data, &r)
	}
	return r, err
}

// Run drives the load and returns what it measured.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	return run(ctx, cfg, func(c *conn) (func() (time.Duration, error), error) { return c.episodeLoop(cfg), nil })
}

// episodeLoop returns a function that runs one step (resetting an episode
// when the last one ended) and returns its latency.
func (c *conn) episodeLoop(cfg Config) func() (time.Duration, error) {
	episode, turn := "", 0
	return func() (time.Duration, error) {
		if episode == "" || turn >= cfg.Turns {
			data, err := c.call(func(id int64) []byte {
				return c.encode(map[string]any{"id": id, "op": "reset", "params": map[string]any{"task_id": cfg.TaskID,
					"options": map[string]any{"max_turns": cfg.Turns + 1, "max_tool_calls": cfg.Turns + 1}}})
			})
			if err != nil {
				return 0, err
			}
			r, err := c.decode(data)
			if err != nil || r.Error != nil {
				return 0, fmt.Errorf("reset failed: %v %v", err, r.Error)
			}
			if episode != "" {
				old := episode
				go func() { _, _ = c.call(func(id int64) []byte { return c.encode(closeRequest(id, old)) }) }()
			}
			episode, turn = r.Result.Episode, 0
		}
		turn++
		start := time.Now()
		data, err := c.call(func(id int64) []byte { return c.encode(StepRequest(id, episode, turn, cfg.ToolName, cfg.ToolArgs)) })
		took := time.Since(start)
		if err != nil {
			return took, err
		}
		r, err := c.decode(data)
		if err != nil {
			return took, err
		}
		if r.Error != nil {
			return took, fmt.Errorf("step: %s", r.Error.Code)
		}
		return took, nil
	}
}

func closeRequest(id int64, episode string) map[string]any {
	return map[string]any{"id": id, "op": "close", "params": map[string]any{"episode": episode}}
}

// StepRequest is the step every episode sends: one call of the load's tool.
func StepRequest(id int64, episode string, turn int, tool, args string) map[string]any {
	return map[string]any{"id": id, "op": "step", "params": map[string]any{"episode": episode, "turn": turn,
		"message": map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
			map[string]any{"id": "c1", "type": "function", "function": map[string]any{"name": tool, "arguments": args}}}}}}
}

// run drives workers: Connections connections, Concurrency loops each.
func run(ctx context.Context, cfg Config, loopFor func(*conn) (func() (time.Duration, error), error)) (*Result, error) {
	if cfg.Connections <= 0 || cfg.Concurrency <= 0 {
		return nil, errors.New("bench: connections and concurrency must be positive")
	}
	conns := make([]*conn, cfg.Connections)
	for i := range conns {
		c, err := dial(ctx, cfg.URL, cfg.Encoding, cfg.Token)
		if err != nil {
			for _, o := range conns[:i] {
				o.close()
			}
			return nil, err
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var steps, errs atomic.Int64
	var mu sync.Mutex
	kinds := map[string]int64{}
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range conns {
		for range cfg.Concurrency {
			loop, err := loopFor(c)
			if err != nil {
				return nil, err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				lat := make([]time.Duration, 0, 4096)
				for ctx.Err() == nil && (cfg.Steps <= 0 || steps.Load() < cfg.Steps) {
					took, err := loop()
					if err != nil {
						if ctx.Err() != nil {
							break
						}
						errs.Add(1)
						mu.Lock()
						kinds[firstWords(err.Error())]++
						mu.Unlock()
						if errs.Load() > 1000 {
							cancel()
						}
						continue
					}
					steps.Add(1)
					lat = append(lat, took)
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
		}
	}
	if cfg.OnProgress != nil {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					cfg.OnProgress(steps.Load(), time.Since(start))
				}
			}
		}()
	}
	wg.Wait()
	res := &Result{Steps: steps.Load(), Errors: errs.Load(), ErrorKind: kinds, Elapsed: time.Since(start), latencies: all}
	slices.Sort(res.latencies)
	return res, nil
}

func firstWords(s string) string {
	if len(s) > 60 {
		s = s[:60]
	}
	return strings.TrimSpace(s)
}

// Echo runs the same load shape against a bare gorilla/websocket server that
// decodes each msgpack frame and encodes it back: the ceiling for steps on
// this machine. The frames are step requests of the same size.
func Echo(ctx context.Context, cfg Config) (*Result, error) {
	up := websocket.Upgrader{ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10, Subprotocols: []string{"dive.v1.msgpack", "dive.v1.json"}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var wmu sync.Mutex
		for {
			mt, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var v map[string]any
			if err := msgpack.Unmarshal(data, &v); err != nil {
				return
			}
			out, _ := msgpack.Marshal(v)
			wmu.Lock()
			err = ws.WriteMessage(mt, out)
			wmu.Unlock()
			if err != nil {
				return
			}
		}
	}))
	defer hs.Close()
	cfg.URL = "ws" + strings.TrimPrefix(hs.URL, "http")
	cfg.Encoding = "msgpack"
	return run(ctx, cfg, func(c *conn) (func() (time.Duration, error), error) {
		return func() (time.Duration, error) {
			start := time.Now()
			_, err := c.call(func(id int64) []byte { return c.encode(StepRequest(id, "ep-echo", 1, cfg.ToolName, cfg.ToolArgs)) })
			return time.Since(start), err
		}, nil
	})
}
