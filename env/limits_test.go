package env

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestConnectionsPerClient: one IP gets at most MaxConnectionsPerClient
// connections; a closed one frees its place.
func TestConnectionsPerClient(t *testing.T) {
	te := newTestEnv(t, nil, func(_ *EngineConfig, sc *ServerConfig) { sc.MaxConnectionsPerClient = 2 })
	a := dial(t, te.url, SubprotocolJSON)
	dial(t, te.url, SubprotocolJSON)
	_, resp, err := websocket.DefaultDialer.Dial(te.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection: %v %v", err, resp)
	}
	a.ws.Close()
	<-a.readErr
	var ws *websocket.Conn
	for i := 0; i < 100 && ws == nil; i++ { // the server notices the close asynchronously
		ws, _, _ = websocket.DefaultDialer.Dial(te.url, nil)
	}
	if ws == nil {
		t.Fatal("a closed connection did not free its place")
	}
	ws.Close()
}

// TestGarbageClientIsCutOff: a connection that sends only undecodable frames
// is closed with 1008 after MaxBadFrames of them; another connection's
// episode is not affected, and one bad frame among good ones is just an error.
func TestGarbageClientIsCutOff(t *testing.T) {
	te := newTestEnv(t, nil, func(_ *EngineConfig, sc *ServerConfig) { sc.MaxBadFrames = 5 })
	good := dial(t, te.url, SubprotocolMsgpack)
	ep := good.result(OpReset, map[string]any{"task_id": calculatorTask(t, te)})["episode"]

	mixed := dial(t, te.url, SubprotocolJSON)
	for i := 0; i < 12; i++ {
		mixed.writeFrame([]byte("{not json"))
		if r := <-mixed.untagged; errorCode(r) != CodeBadFrame {
			t.Fatalf("bad frame reply %v", r)
		}
		if i%4 == 3 {
			mixed.result(OpHello, nil) // a good request resets the count
		}
	}

	bad := dial(t, te.url, SubprotocolJSON)
	for i := 0; i < 5; i++ {
		bad.writeFrame([]byte{0xff, 0x00})
	}
	for i := 0; i < 5; i++ {
		<-bad.untagged
	}
	bad.waitClose(websocket.ClosePolicyViolation)

	r := good.result(OpStep, map[string]any{"episode": ep, "message": calcMessage("2+2")})
	if !strings.Contains(r["messages"].([]any)[0].(map[string]any)["content"].(string), `"result":4`) {
		t.Fatalf("the other connection's episode: %v", r)
	}
}

// TestMessageTooLong: an assistant turn over max_message_bytes is refused
// with limit_exceeded and the episode goes on.
func TestMessageTooLong(t *testing.T) {
	te := newTestEnv(t, nil, func(ec *EngineConfig, _ *ServerConfig) { ec.MaxMessageBytes = 1000 })
	c := dial(t, te.url, SubprotocolJSON)
	if lim := c.result(OpHello, nil)["limits"].(map[string]any); lim["max_message_bytes"] != 1000.0 {
		t.Fatalf("limits %v", lim)
	}
	ep := c.result(OpReset, map[string]any{"task_id": calculatorTask(t, te)})["episode"]
	r := c.call(OpStep, map[string]any{"episode": ep, "text": strings.Repeat("x", 1001)})
	if errorCode(r) != CodeLimit || !strings.Contains(r["error"].(map[string]any)["message"].(string), "max_message_bytes") {
		t.Fatalf("long message: %v", r)
	}
	if code := errorCode(c.call(OpStep, map[string]any{"episode": ep, "message": calcMessage(strings.Repeat("1+", 600) + "1")})); code != CodeLimit {
		t.Fatalf("long arguments: %q", code)
	}
	if st := c.result(OpState, map[string]any{"episode": ep}); st["turns"] != 0.0 {
		t.Fatalf("a refused turn counted: %v", st)
	}
	c.result(OpStep, map[string]any{"episode": ep, "message": calcMessage("1+1")})
	// Raw text in the qwen3_coder format is measured before it is parsed
	// (the red team's 8c: a 5.9 MiB text was parsed for 19 s, then refused).
	xml := c.result(OpReset, map[string]any{"task_id": calculatorTask(t, te), "options": map[string]any{"tool_call_format": "qwen3_coder"}})["episode"]
	text := "<tool_call><function=calculator>" + strings.Repeat("<parameter=expression>1", 100) + "</function></tool_call>"
	if r := c.call(OpStep, map[string]any{"episode": xml, "text": text}); errorCode(r) != CodeLimit {
		t.Fatalf("long qwen3_coder text: %v", r)
	}
}
