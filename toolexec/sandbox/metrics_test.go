package sandbox

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type fixedStats Stats

func (f fixedStats) Stats() Stats { return Stats(f) }

// TestRegisterMetrics reads what an exporter would collect: slots by state,
// the maximum and the killed count.
func TestRegisterMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if err := RegisterMetrics(mp, fixedStats{Warm: 2, Leased: 5, Starting: 1, Killed: 3, Max: 64}); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			case metricdata.Sum[int64]:
				points = d.DataPoints
			}
			for _, dp := range points {
				state, _ := dp.Attributes.Value("state")
				got[m.Name+"/"+state.AsString()] = dp.Value
			}
		}
	}
	want := map[string]int64{"dive.sandbox.slots/warm": 2, "dive.sandbox.slots/leased": 5, "dive.sandbox.slots/starting": 1,
		"dive.sandbox.slots.max/": 64, "dive.sandbox.slots.killed/": 3}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}
