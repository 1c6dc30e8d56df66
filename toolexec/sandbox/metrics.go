package sandbox

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics exports the pool's slot counts through mp, read when the
// exporter collects: dive.sandbox.slots by state (warm, leased, starting),
// dive.sandbox.slots.max and dive.sandbox.slots.killed. A pool that has not
// started reports zeros.
func RegisterMetrics(mp metric.MeterProvider, pool interface{ Stats() Stats }) error {
	m := mp.Meter("github.com/dive-env/dive/toolexec/sandbox")
	slots, err := m.Int64ObservableGauge("dive.sandbox.slots", metric.WithDescription("Sandbox slots by state."), metric.WithUnit("{slot}"))
	if err != nil {
		return fmt.Errorf("sandbox metrics: %w", err)
	}
	max, err := m.Int64ObservableGauge("dive.sandbox.slots.max", metric.WithDescription("Most sandbox slots run at once."), metric.WithUnit("{slot}"))
	if err != nil {
		return fmt.Errorf("sandbox metrics: %w", err)
	}
	killed, err := m.Int64ObservableCounter("dive.sandbox.slots.killed",
		metric.WithDescription("Sandbox slots killed because a call ran past its limits or the slot died."), metric.WithUnit("{slot}"))
	if err != nil {
		return fmt.Errorf("sandbox metrics: %w", err)
	}
	warm, leased, starting := metric.WithAttributes(attribute.String("state", "warm")),
		metric.WithAttributes(attribute.String("state", "leased")), metric.WithAttributes(attribute.String("state", "starting"))
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := pool.Stats()
		o.ObserveInt64(slots, int64(s.Warm), warm)
		o.ObserveInt64(slots, int64(s.Leased), leased)
		o.ObserveInt64(slots, int64(s.Starting), starting)
		o.ObserveInt64(max, int64(s.Max))
		o.ObserveInt64(killed, int64(s.Killed))
		return nil
	}, slots, max, killed)
	if err != nil {
		return fmt.Errorf("sandbox metrics: %w", err)
	}
	return nil
}
