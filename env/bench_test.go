package env

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dive-env/dive/internal/bench"
	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// benchStepRequest is a one-tool step: the model calls the calculator once.
func benchStepRequest(episode string) map[string]any {
	return map[string]any{"id": 1, "op": OpStep, "params": map[string]any{"episode": episode, "message": map[string]any{
		"role": "assistant", "content": "",
		"tool_calls": []any{map[string]any{"id": "c1", "type": "function",
			"function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}},
	}}}
}

func benchEncode(b *testing.B, useMsgpack bool, v any) []byte {
	if useMsgpack {
		data, err := msgpack.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkStepRoundTrip measures one step with one built-in tool call, over
// loopback, client and server in this process: write the frame, read the reply.
func BenchmarkStepRoundTrip(b *testing.B) {
	type variant struct{ name, subprotocol string }
	variants := []variant{}
	for _, enc := range encodings {
		variants = append(variants, variant{enc.name, enc.subprotocol})
	}
	// With tracing on: every episode, step and tool call makes a span, batched
	// to an exporter that discards them (the cost of tracing, not of a collector).
	variants = append(variants, variant{"msgpack-traced", SubprotocolMsgpack}, variant{"msgpack-metered", SubprotocolMsgpack})
	for _, enc := range variants {
		b.Run(enc.name, func(b *testing.B) {
			var mutate func(*EngineConfig, *ServerConfig)
			if strings.HasSuffix(enc.name, "-traced") {
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				mutate = func(ec *EngineConfig, _ *ServerConfig) { ec.TracerProvider = tp }
			}
			if strings.HasSuffix(enc.name, "-metered") { // metrics on, read by a Prometheus-style reader
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				mutate = func(ec *EngineConfig, _ *ServerConfig) { ec.MeterProvider = mp }
			}
			te := newTestEnv(b, nil, mutate)
			d := websocket.Dialer{Subprotocols: []string{enc.subprotocol}}
			ws, _, err := d.Dial(te.url, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ws.Close()
			mt := websocket.TextMessage
			useMsgpack := enc.subprotocol == SubprotocolMsgpack
			if useMsgpack {
				mt = websocket.BinaryMessage
			}
			// Episodes of 16 one-tool steps, as in training; a new episode is
			// reset when one ends (timed with the steps: StopTimer would stop the world).
			const turns = 16
			reset := benchEncode(b, useMsgpack, map[string]any{"id": 0, "op": OpReset, "params": map[string]any{
				"task_id": "dive-default-compound_interest-1", "options": map[string]any{"max_turns": turns, "max_tool_calls": turns}}})
			newEpisode := func() []byte {
				if err := ws.WriteMessage(mt, reset); err != nil {
					b.Fatal(err)
				}
				_, reply, err := ws.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				var r struct {
					Result struct {
						Episode string `json:"episode" msgpack:"episode"`
					} `json:"result" msgpack:"result"`
				}
				if useMsgpack {
					err = msgpack.Unmarshal(reply, &r)
				} else {
					err = json.Unmarshal(reply, &r)
				}
				if err != nil || r.Result.Episode == "" {
					b.Fatalf("reset reply %q: %v", reply, err)
				}
				return benchEncode(b, useMsgpack, benchStepRequest(r.Result.Episode))
			}
			frame := newEpisode()
			step := 0
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			first := true
			for b.Loop() {
				if err := ws.WriteMessage(mt, frame); err != nil {
					b.Fatal(err)
				}
				_, reply, err := ws.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				if first {
					first = false
					if !bytes.Contains(reply, []byte("391")) || bytes.Contains(reply, []byte(`"error"`)) {
						b.Fatalf("step reply %q", reply)
					}
				}
				if step++; step%turns == 0 {
					frame = newEpisode() // timed too: one reset per 16 steps
				}
			}
		})
	}
}

// BenchmarkEchoMsgpack is the ceiling for BenchmarkStepRoundTrip: dive
// bench's bare gorilla/websocket server that decodes each msgpack frame and
// encodes it back (the server's buffer sizes), with the same client loop
// and a frame of the same size.
func BenchmarkEchoMsgpack(b *testing.B) {
	url, stop := bench.EchoServer()
	defer stop()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	frame := benchEncode(b, true, benchStepRequest("ep-0123abcd-1"))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ws.WriteMessage(websocket.BinaryMessage, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStep measures decoding one step request frame (envelope and
// params) in each encoding.
func BenchmarkDecodeStep(b *testing.B) {
	for _, tc := range []struct {
		name string
		c    codec
	}{{"json", jsonCodec{}}, {"msgpack", msgpackCodec{}}} {
		b.Run(tc.name, func(b *testing.B) {
			frame := benchEncode(b, tc.name == "msgpack", benchStepRequest("ep-0123abcd-1"))
			b.ReportAllocs()
			for b.Loop() {
				env, err := tc.c.decodeEnvelope(frame)
				if err != nil {
					b.Fatal(err)
				}
				var p StepParams
				if err := tc.c.decodeParams(env.Params, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeStepReply measures encoding a typical step reply (one tool
// message, one call) in each encoding; json-reflect is json.Marshal's
// encoding of the same reply, for comparison with the hand-written one.
func BenchmarkEncodeStepReply(b *testing.B) {
	reply := Response{ID: IntID(12345), Op: OpStep, Result: &StepResult{Episode: "ep-0123abcd-1",
		Messages: []Message{{Role: "tool", Content: `{"result": 391}`, ToolCallID: "c1", Name: "calculator"}},
		Info:     StepInfo{Turn: 3, ToolCalls: []CallInfo{{ID: "c1", Name: "calculator", DurationMS: 0.012, OutputBytes: 15}}, ToolCallsTotal: 3, DurationMS: 0.031}}}
	for _, tc := range []struct {
		name   string
		encode func(any) ([]byte, error)
	}{{"json", jsonCodec{}.encode}, {"json-reflect", json.Marshal}, {"msgpack", msgpackCodec{}.encode}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.encode(reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
