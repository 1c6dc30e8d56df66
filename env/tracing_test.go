package env

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestEpisodeSpanTree runs a real episode whose reset carries the trainer's
// W3C trace context, and checks the spans: episode → steps → tool calls and
// the reward, all in the trainer's trace, with the GenAI attributes.
func TestEpisodeSpanTree(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	te := newTestEnv(t, nil, func(ec *EngineConfig, _ *ServerConfig) { ec.TracerProvider = tp })
	task := calculatorTask(t, te)
	truth, _ := te.tasks.Get(task)
	c := dial(t, te.url, SubprotocolMsgpack)
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ep := c.result(OpReset, map[string]any{"task_id": task, "traceparent": "00-" + traceID + "-" + parentID + "-01", "tracestate": "dive=1"})["episode"]
	bad := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
		openAICall("c1", "calculator", `{"expression": "6*7"}`), openAICall("c2", "calculator", `{"expression": 7}`)}}
	c.result(OpStep, map[string]any{"episode": ep, "message": bad})
	c.result(OpStep, map[string]any{"episode": ep, "text": "<answer>" + truth.GroundTruth + "</answer>"})

	spans := exp.GetSpans()
	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
		if got := s.SpanContext.TraceID().String(); got != traceID {
			t.Errorf("span %s in trace %s, want the trainer's %s", s.Name, got, traceID)
		}
	}
	if len(byName["dive.episode"]) != 1 || len(byName["dive.step"]) != 2 || len(byName["execute_tool calculator"]) != 2 || len(byName["dive.reward"]) != 1 {
		t.Fatalf("spans: %v", names(spans))
	}
	episode := byName["dive.episode"][0]
	if episode.Parent.SpanID().String() != parentID || !episode.Parent.IsRemote() || episode.SpanKind != trace.SpanKindServer {
		t.Fatalf("episode parent %v kind %v", episode.Parent, episode.SpanKind)
	}
	attrs := attrMap(episode.Attributes)
	if attrs["dive.task.id"] != task || attrs["dive.episode.reason"] != ReasonAnswer || attrs["dive.episode.turns"] != int64(2) ||
		attrs["dive.reward.score"] != 1.0 || attrs["dive.episode.tool_errors"] != int64(1) {
		t.Fatalf("episode attributes %v", attrs)
	}
	for _, s := range byName["dive.step"] {
		if s.Parent.SpanID() != episode.SpanContext.SpanID() {
			t.Fatalf("step %v is not a child of the episode", attrMap(s.Attributes))
		}
	}
	tool, failed := byName["execute_tool calculator"][0], byName["execute_tool calculator"][1]
	if attrMap(tool.Attributes)["gen_ai.tool.call.id"] != "c1" {
		tool, failed = failed, tool
	}
	if fa := attrMap(failed.Attributes); fa["error.type"] != "invalid_arguments" || failed.Status.Code.String() != "Error" {
		t.Fatalf("failed call span %v %v", fa, failed.Status)
	}
	step1 := byName["dive.step"][0]
	if attrMap(step1.Attributes)["dive.turn"] != int64(1) {
		step1 = byName["dive.step"][1]
	}
	ta := attrMap(tool.Attributes)
	if tool.Parent.SpanID() != step1.SpanContext.SpanID() || ta["gen_ai.operation.name"] != "execute_tool" ||
		ta["gen_ai.tool.name"] != "calculator" || ta["gen_ai.tool.call.id"] != "c1" || ta["dive.tool.id"] != "general.math.calculator" {
		t.Fatalf("tool span %v (parent %v)", ta, tool.Parent.SpanID())
	}
	reward := byName["dive.reward"][0]
	if ra := attrMap(reward.Attributes); ra["dive.reward.label"] != "correct" || ra["dive.reward.scorer"] != "match" {
		t.Fatalf("reward span %v", ra)
	}
	// A closed running episode ends its span too.
	ep2 := c.result(OpReset, map[string]any{"task_id": task})["episode"]
	c.result(OpClose, map[string]any{"episode": ep2})
	var closed int
	for _, s := range exp.GetSpans() {
		if s.Name == "dive.episode" && attrMap(s.Attributes)["dive.episode.reason"] == "closed" {
			closed++
		}
	}
	if closed != 1 {
		t.Fatalf("closed episode spans: %d", closed)
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}
