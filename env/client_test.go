package env

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// testEnv is a real server on loopback over the embedded tasks and tools.
type testEnv struct {
	engine *Engine
	server *Server
	http   *httptest.Server
	url    string
	tasks  *tasks.Set
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestEnv(t testing.TB, rec *Recorder, mutate func(*EngineConfig, *ServerConfig)) *testEnv {
	t.Helper()
	reg, err := defaults.Registry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := defaults.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	ec, sc := DefaultEngineConfig(), DefaultServerConfig()
	if mutate != nil {
		mutate(&ec, &sc)
	}
	eng, err := NewEngine(ec, set, reg, reward.NewRegistry(), rec, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(eng, sc, quietLogger())
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return &testEnv{engine: eng, server: srv, http: hs, url: "ws" + strings.TrimPrefix(hs.URL, "http") + EndpointPath, tasks: set}
}

// client is a minimal protocol client for tests: it sends requests and
// matches replies by id, in either encoding.
type client struct {
	t       testing.TB
	ws      *websocket.Conn
	msgpack bool

	mu       sync.Mutex
	nextID   int64
	waiting  map[int64]chan map[string]any
	untagged chan map[string]any
	readErr  chan error
}

func dial(t testing.TB, url, subprotocol string) *client {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if subprotocol != "" {
		d.Subprotocols = []string{subprotocol}
	}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	if ws.Subprotocol() != subprotocol {
		t.Fatalf("negotiated %q, want %q", ws.Subprotocol(), subprotocol)
	}
	c := &client{t: t, ws: ws, msgpack: subprotocol == SubprotocolMsgpack, waiting: map[int64]chan map[string]any{},
		untagged: make(chan map[string]any, 16), readErr: make(chan error, 1)}
	go c.readLoop()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *client) readLoop() {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readErr <- err
			return
		}
		msg := c.decode(data)
		id, ok := msg["id"].(float64)
		c.mu.Lock()
		ch := c.waiting[int64(id)]
		delete(c.waiting, int64(id))
		c.mu.Unlock()
		if !ok || ch == nil {
			c.untagged <- msg
			continue
		}
		ch <- msg
	}
}

// decode turns a frame into JSON-shaped values (numbers as float64) whatever the encoding.
func (c *client) decode(data []byte) map[string]any {
	var v any
	if c.msgpack {
		if err := msgpack.Unmarshal(data, &v); err != nil {
			c.t.Errorf("reply is not msgpack: %v", err)
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			c.t.Errorf("msgpack reply has values JSON cannot hold: %v", err)
			return nil
		}
		data = b
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Errorf("reply is not a JSON object: %v: %s", err, data)
	}
	return m
}

func (c *client) encode(v any) []byte {
	if c.msgpack {
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		enc.SetCustomStructTag("json")
		if err := enc.Encode(v); err != nil {
			c.t.Fatal(err)
		}
		return buf.Bytes()
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func (c *client) writeFrame(data []byte) {
	mt := websocket.TextMessage
	if c.msgpack {
		mt = websocket.BinaryMessage
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.WriteMessage(mt, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send sends a request and returns a channel for its reply.
func (c *client) send(op string, params any) (int64, chan map[string]any) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan map[string]any, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	req := map[string]any{"id": id, "op": op}
	if params != nil {
		req["params"] = params
	}
	c.writeFrame(c.encode(req))
	return id, ch
}

func (c *client) wait(ch chan map[string]any) map[string]any {
	c.t.Helper()
	select {
	case m := <-ch:
		return m
	case err := <-c.readErr:
		// Replies are delivered before the next frame is read, so one that
		// came before the end is already in ch.
		select {
		case m := <-ch:
			c.readErr <- err
			return m
		default:
		}
		c.t.Fatalf("connection ended: %v", err)
	case <-time.After(20 * time.Second):
		c.t.Fatal("no reply within 20s")
	}
	return nil
}

// call sends a request and waits for its reply.
func (c *client) call(op string, params any) map[string]any {
	c.t.Helper()
	_, ch := c.send(op, params)
	return c.wait(ch)
}

// result returns a reply's result, failing the test on an error reply.
func (c *client) result(op string, params any) map[string]any {
	c.t.Helper()
	r := c.call(op, params)
	if r["error"] != nil {
		c.t.Fatalf("%s: error reply %v", op, r["error"])
	}
	res, _ := r["result"].(map[string]any)
	return res
}

// waitClose waits for the server to close the connection with code.
func (c *client) waitClose(code int) {
	c.t.Helper()
	select {
	case err := <-c.readErr:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			c.t.Fatalf("connection ended with %v, want close %d", err, code)
		}
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no close %d within 5s", code)
	}
}

func errorCode(reply map[string]any) string {
	e, _ := reply["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}
