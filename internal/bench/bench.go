// Package bench is the load generator of `dive bench`: connections ×
// concurrent episodes against a dive.v1 server, each episode a run of
// one-tool steps, with latency percentiles; and the same load against a bare
// websocket+msgpack echo server, whose rate is the ceiling the step rate is
// compared with.
package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/modelcontextprotocol/go-sdk/mcp"
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
	// Tasks are the tasks episodes run, in turn: Rollouts consecutive
	// episodes (a GRPO group) per task (at least 1).
	Tasks    []string
	Rollouts int
	// Turns is the number of steps of each episode. When Answer is set the
	// last of them answers it (the episode ends and is scored); otherwise
	// every step calls a tool and the episode is closed after the last.
	Turns  int
	Answer string
	// Calls are the tool calls of the steps, in turn: step i of the run
	// calls Calls[i % len(Calls)].
	Calls []Call
	// Open is how many episodes are held open during the run beyond the
	// active ones: reset before the load starts, closed after it.
	Open int
	// Think is the model's time: each loop waits Think ± 50% (at random)
	// before each step. Zero sends the next step as soon as the last returns.
	Think time.Duration
	// OnProgress, when set, is called about once a second with the steps so far.
	OnProgress func(steps int64, elapsed time.Duration)
}

// Call is one tool call: the tool's name and its JSON arguments.
type Call struct{ Name, Args string }

// Result is what one load measured.
type Result struct {
	Steps     int64
	Episodes  int64
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
	waiting map[int64]chan received
	done    chan struct{}
}

// received is a reply frame and when the reader took it off the socket.
type received struct {
	data []byte
	at   time.Time
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
	c := &conn{ws: ws, msgpack: encoding == "msgpack", waiting: map[int64]chan received{}, done: make(chan struct{})}
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
		at := time.Now()
		id, err := replyID(data, c.msgpack)
		if err != nil {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[id]
		delete(c.waiting, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- received{data, at}
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

// call sends a request built by frame(id) and returns the raw reply and the
// round trip: from just before the frame was written to when the reader took
// the reply off the socket. Building the frame, waiting for the connection's
// write lock and waking the caller are the load generator's own time, left
// out so that the latency is the server's and the transport's.
func (c *conn) call(frame func(id int64) []byte) ([]byte, time.Duration, error) {
	ch := make(chan received, 1)
	c.mu.Lock()
	c.next++
	id := c.next
	c.waiting[id] = ch
	c.mu.Unlock()
	mt := websocket.TextMessage
	if c.msgpack {
		mt = websocket.BinaryMessage
	}
	data := frame(id)
	c.wmu.Lock()
	sent := time.Now()
	err := c.ws.WriteMessage(mt, data)
	c.wmu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	select {
	case r := <-ch:
		return r.data, r.at.Sub(sent), nil
	case <-c.done:
		return nil, time.Since(sent), errors.New("connection closed")
	case <-timeout.C:
		return nil, time.Since(sent), errors.New("no reply within 60 s")
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
		Reward  *struct {
			Label string `json:"label" msgpack:"label"`
		} `json:"reward" msgpack:"reward"`
		Info struct {
			ToolCalls []struct {
				Name  string `json:"name" msgpack:"name"`
				Error *struct {
					Kind string `json:"kind" msgpack:"kind"`
				} `json:"error" msgpack:"error"`
			} `json:"tool_calls" msgpack:"tool_calls"`
		} `json:"info" msgpack:"info"`
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
	if len(cfg.Tasks) == 0 || len(cfg.Calls) == 0 || cfg.Turns <= 0 {
		return nil, errors.New("bench: a load needs tasks, tool calls and at least one turn per episode")
	}
	if cfg.Rollouts <= 0 {
		cfg.Rollouts = 1
	}
	var episodes, calls atomic.Int64
	l := &load{cfg: cfg, episodes: &episodes, calls: &calls}
	if cfg.Open > 0 {
		held, err := l.holdOpen(ctx)
		if err != nil {
			return nil, err
		}
		defer held.release()
	}
	res, err := run(ctx, cfg, func(c *conn) (func() (time.Duration, error), error) { return l.episodeLoop(c), nil })
	if res != nil {
		res.Episodes = episodes.Load()
	}
	return res, err
}

// load is what the loops of one run share.
type load struct {
	cfg      Config
	episodes *atomic.Int64 // episodes started, which picks each one's task
	calls    *atomic.Int64 // steps sent, which picks each one's tool call
}

// reset starts an episode of the next task in turn.
func (l *load) reset(c *conn) (string, error) {
	k := l.episodes.Add(1) - 1
	task := l.cfg.Tasks[(k/int64(l.cfg.Rollouts))%int64(len(l.cfg.Tasks))]
	data, _, err := c.call(func(id int64) []byte {
		return c.encode(map[string]any{"id": id, "op": "reset", "params": map[string]any{"task_id": task,
			"options": map[string]any{"max_turns": l.cfg.Turns + 1, "max_tool_calls": l.cfg.Turns + 1}}})
	})
	if err != nil {
		return "", err
	}
	r, err := c.decode(data)
	if err != nil {
		return "", err
	}
	if r.Error != nil {
		return "", fmt.Errorf("reset: %s", r.Error.Code)
	}
	return r.Result.Episode, nil
}

// episodeLoop returns a function that runs one step (resetting an episode
// when the last one ended) and returns its latency.
func (l *load) episodeLoop(c *conn) func() (time.Duration, error) {
	episode, turn := "", 0
	return func() (time.Duration, error) {
		if episode == "" || turn >= l.cfg.Turns {
			next, err := l.reset(c)
			if err != nil {
				return 0, err
			}
			if episode != "" && l.cfg.Answer == "" {
				old := episode
				go func() { _, _, _ = c.call(func(id int64) []byte { return c.encode(closeRequest(id, old)) }) }()
			}
			episode, turn = next, 0
		}
		turn++
		var frame func(id int64) []byte
		if turn == l.cfg.Turns && l.cfg.Answer != "" {
			frame = func(id int64) []byte { return c.encode(answerRequest(id, episode, turn, l.cfg.Answer)) }
		} else {
			call := l.cfg.Calls[(l.calls.Add(1)-1)%int64(len(l.cfg.Calls))]
			frame = func(id int64) []byte { return c.stepFrame(id, episode, turn, call) }
		}
		data, took, err := c.call(frame)
		if err != nil {
			return took, err
		}
		answered := turn == l.cfg.Turns && l.cfg.Answer != ""
		if !answered && !mayCarryError(data, c.msgpack) {
			return took, nil // nothing in the reply for the load to check
		}
		r, err := c.decode(data)
		if err != nil {
			return took, err
		}
		if r.Error != nil {
			return took, fmt.Errorf("step: %s", r.Error.Code)
		}
		// A tool error is an observation to the model, but here it means the
		// load did not measure what it meant to.
		for _, tc := range r.Result.Info.ToolCalls {
			if tc.Error != nil {
				return took, fmt.Errorf("tool %s: %s", tc.Name, tc.Error.Kind)
			}
		}
		if answered && (!r.Result.Done || r.Result.Reward == nil || r.Result.Reward.Label != "correct") {
			return took, errors.New("step: the answer did not end the episode with a correct reward")
		}
		return took, nil
	}
}

// heldEpisodes are idle episodes kept open during a run.
type heldEpisodes struct {
	conns    []*conn
	episodes [][]string
}

// holdOpen resets cfg.Open episodes over their own connections, a batch of
// requests in flight per connection.
func (l *load) holdOpen(ctx context.Context) (*heldEpisodes, error) {
	n := max(1, min(l.cfg.Connections, 16))
	h := &heldEpisodes{conns: make([]*conn, n), episodes: make([][]string, n)}
	for i := range h.conns {
		c, err := dial(ctx, l.cfg.URL, l.cfg.Encoding, l.cfg.Token)
		if err != nil {
			h.release()
			return nil, err
		}
		h.conns[i] = c
	}
	// 32 resets in flight per connection; connection i holds episodes i, i+n, …
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i, c := range h.conns {
		next := &atomic.Int64{}
		next.Store(int64(i))
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(int64(n))-int64(n) < int64(l.cfg.Open) {
					ep, err := l.reset(c)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						h.episodes[i] = append(h.episodes[i], ep)
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		h.release()
		return nil, fmt.Errorf("hold %d episodes open: %w", l.cfg.Open, err)
	}
	return h, nil
}

// release closes the held episodes and their connections.
func (h *heldEpisodes) release() {
	var wg sync.WaitGroup
	for i, c := range h.conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			for _, ep := range h.episodes[i] {
				_, _, _ = c.call(func(id int64) []byte { return c.encode(closeRequest(id, ep)) })
			}
		}()
	}
	wg.Wait()
}

func closeRequest(id int64, episode string) map[string]any {
	return map[string]any{"id": id, "op": "close", "params": map[string]any{"episode": episode}}
}

func answerRequest(id int64, episode string, turn int, answer string) map[string]any {
	return map[string]any{"id": id, "op": "step", "params": map[string]any{"episode": episode, "turn": turn,
		"message": map[string]any{"role": "assistant", "content": "<answer>" + answer + "</answer>"}}}
}

// stepFrame encodes StepRequest. In msgpack it is written field by field,
// without maps or reflection: the load generator shares the machine with the
// server it measures, and every microsecond it spends is taken from it.
func (c *conn) stepFrame(id int64, episode string, turn int, call Call) []byte {
	if !c.msgpack {
		return jsonStepFrame(id, episode, turn, call)
	}
	var buf bytes.Buffer
	buf.Grow(128 + len(episode) + len(call.Name) + len(call.Args))
	enc := msgpack.NewEncoder(&buf)
	str := func(s string) { _ = enc.EncodeString(s) }
	_ = enc.EncodeMapLen(3)
	str("id")
	_ = enc.EncodeInt(id)
	str("op")
	str("step")
	str("params")
	_ = enc.EncodeMapLen(3)
	str("episode")
	str(episode)
	str("turn")
	_ = enc.EncodeInt(int64(turn))
	str("message")
	_ = enc.EncodeMapLen(3)
	str("role")
	str("assistant")
	str("content")
	str("")
	str("tool_calls")
	_ = enc.EncodeArrayLen(1)
	_ = enc.EncodeMapLen(3)
	str("id")
	str("c1")
	str("type")
	str("function")
	str("function")
	_ = enc.EncodeMapLen(2)
	str("name")
	str(call.Name)
	str("arguments")
	str(call.Args)
	return buf.Bytes()
}

// jsonStepFrame is StepRequest in JSON, written without maps or reflection.
func jsonStepFrame(id int64, episode string, turn int, call Call) []byte {
	quote := func(b []byte, s string) []byte {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b := make([]byte, 0, 160+len(episode)+len(call.Name)+len(call.Args))
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"op":"step","params":{"episode":`...)
	b = quote(b, episode)
	b = append(b, `,"turn":`...)
	b = strconv.AppendInt(b, int64(turn), 10)
	b = append(b, `,"message":{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":`...)
	b = quote(b, call.Name)
	b = append(b, `,"arguments":`...)
	b = quote(b, call.Args)
	return append(b, "}}]}}}"...)
}

// mayCarryError reports whether a reply could hold an error (the request's,
// or a tool call's): whether the key "error" appears in it at all. A reply
// without one needs no decoding unless the load looks at more of it.
func mayCarryError(data []byte, isMsgpack bool) bool {
	if isMsgpack {
		return bytes.Contains(data, []byte("\xa5error"))
	}
	return bytes.Contains(data, []byte(`"error"`))
}

// replyID reads the id of a reply frame: the first key of the map when the
// server wrote it (dive and the echo both do), else by decoding.
func replyID(data []byte, isMsgpack bool) (int64, error) {
	if !isMsgpack && bytes.HasPrefix(data, []byte(`{"id":`)) {
		digits := data[len(`{"id":`):]
		if end := bytes.IndexAny(digits, ",}"); end > 0 {
			if id, err := strconv.ParseInt(string(digits[:end]), 10, 64); err == nil {
				return id, nil
			}
		}
	}
	if isMsgpack && len(data) > 4 && data[0]&0xf0 == 0x80 && data[1] == 0xa2 && data[2] == 'i' && data[3] == 'd' {
		switch c := data[4]; {
		case c <= 0x7f:
			return int64(c), nil
		case c == 0xcc && len(data) >= 6:
			return int64(data[5]), nil
		case c == 0xcd && len(data) >= 7:
			return int64(binary.BigEndian.Uint16(data[5:])), nil
		case c == 0xce && len(data) >= 9:
			return int64(binary.BigEndian.Uint32(data[5:])), nil
		case c == 0xd3 && len(data) >= 13, c == 0xcf && len(data) >= 13:
			return int64(binary.BigEndian.Uint64(data[5:])), nil
		}
	}
	var head struct {
		ID int64 `json:"id" msgpack:"id"`
	}
	var err error
	if isMsgpack {
		err = msgpack.Unmarshal(data, &head)
	} else {
		err = json.Unmarshal(data, &head)
	}
	return head.ID, err
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
	var started, steps, errs atomic.Int64
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
				for ctx.Err() == nil && (cfg.Steps <= 0 || started.Add(1) <= cfg.Steps) {
					if cfg.Think > 0 {
						select {
						case <-ctx.Done():
						case <-time.After(cfg.Think/2 + rand.N(cfg.Think)):
						}
						if ctx.Err() != nil {
							break
						}
					}
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

// EchoServer starts a bare gorilla/websocket server on loopback that decodes
// each msgpack frame and encodes it back: the ceiling for steps on this
// machine. It returns its URL and a function that stops it.
func EchoServer() (string, func()) {
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
	return "ws" + strings.TrimPrefix(hs.URL, "http"), hs.Close
}

// Echo runs the load's shape against an echo server at cfg.URL (see
// EchoServer): frames of the size of its step requests, no episodes.
func Echo(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Calls) == 0 {
		return nil, errors.New("bench: the echo load needs a tool call to size its frames")
	}
	cfg.Encoding = "msgpack"
	call := cfg.Calls[0]
	return run(ctx, cfg, func(c *conn) (func() (time.Duration, error), error) {
		return func() (time.Duration, error) {
			_, took, err := c.call(func(id int64) []byte { return c.stepFrame(id, "ep-echo", 1, call) })
			return took, err
		}, nil
	})
}

// MCPServer starts a streamable-HTTP MCP server on loopback with one tool,
// multiply {a, b}, the MCP part of a tool mix. It returns the endpoint and
// a function that stops it.
func MCPServer() (string, func()) {
	type in struct {
		A float64 `json:"a" jsonschema:"the first factor"`
		B float64 `json:"b" jsonschema:"the second factor"`
	}
	type out struct {
		Product float64 `json:"product"`
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "dive-bench", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "multiply", Description: "Multiply two numbers."}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, out, error) {
		return nil, out{Product: a.A * a.B}, nil
	})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	return hs.URL, hs.Close
}
