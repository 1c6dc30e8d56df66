package env

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMetrics runs real episodes and reads the metrics a Prometheus scrape
// would see: steps, tool calls by tool and error kind (a hallucinated tool
// name is not a label value), episodes by reason and label, rewards, open
// episodes, connections and protocol errors.
func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	te := newTestEnv(t, nil, func(ec *EngineConfig, _ *ServerConfig) { ec.MeterProvider = mp })
	task := calculatorTask(t, te)
	truth, _ := te.tasks.Get(task)
	c := dial(t, te.url, SubprotocolJSON)
	ep := c.result(OpReset, map[string]any{"task_id": task})["episode"]
	calls := map[string]any{"role": "assistant", "content": "", "tool_calls": []any{
		openAICall("a", "calculator", `{"expression": "6*7"}`), openAICall("b", "made_up_tool_1234", `{}`)}}
	c.result(OpStep, map[string]any{"episode": ep, "message": calls})
	c.result(OpStep, map[string]any{"episode": ep, "text": "<answer>" + truth.GroundTruth + "</answer>"})
	c.result(OpReset, map[string]any{"task_id": task}) // left open
	c.call(OpStep, map[string]any{"episode": "ep-nope", "text": "x"})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m.Data
		}
	}
	sumBy := func(name string, key string) map[string]int64 {
		out := map[string]int64{}
		s, ok := got[name].(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("%s: %T", name, got[name])
		}
		for _, dp := range s.DataPoints {
			v, _ := dp.Attributes.Value(attributeKey(key))
			out[v.String()] += dp.Value
		}
		return out
	}
	if steps := sumBy("dive.steps", "dive.episode.done"); steps["true"] != 1 || steps["false"] != 1 {
		t.Errorf("steps %v", steps)
	}
	if tools := sumBy("dive.tool.calls", "gen_ai.tool.name"); tools["calculator"] != 1 || tools["(unknown)"] != 1 || len(tools) != 2 {
		t.Errorf("tool calls %v", tools)
	}
	if kinds := sumBy("dive.tool.calls", "error.type"); kinds["unknown_tool"] != 1 || kinds[""] != 1 {
		t.Errorf("tool call kinds %v", kinds)
	}
	if ended := sumBy("dive.episodes.ended", "dive.reward.label"); ended["correct"] != 1 {
		t.Errorf("episodes ended %v", ended)
	}
	if started := sumBy("dive.episodes.started", "dive.task.domain"); started[truth.Domain] != 2 {
		t.Errorf("episodes started %v", started)
	}
	if errs := sumBy("dive.protocol.errors", "error.code"); errs[CodeUnknownEpisode] != 1 {
		t.Errorf("protocol errors %v", errs)
	}
	if h, ok := got["dive.reward.score"].(metricdata.Histogram[float64]); !ok || h.DataPoints[0].Count != 1 || h.DataPoints[0].Sum != 1 {
		t.Errorf("reward histogram %+v", got["dive.reward.score"])
	}
	if h, ok := got["dive.tool.duration"].(metricdata.Histogram[float64]); !ok || len(h.DataPoints) != 1 {
		t.Errorf("tool duration: only the call that ran is timed: %+v", got["dive.tool.duration"])
	}
	gauge := func(name string) int64 {
		g, ok := got[name].(metricdata.Gauge[int64])
		if !ok || len(g.DataPoints) != 1 {
			t.Fatalf("%s: %+v", name, got[name])
		}
		return g.DataPoints[0].Value
	}
	if open, conns := gauge("dive.episodes.open"), gauge("dive.connections"); open != 2 || conns != 1 {
		t.Errorf("open episodes %d, connections %d", open, conns)
	}
}

func attributeKey(k string) attribute.Key { return attribute.Key(k) }
