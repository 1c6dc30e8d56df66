package env

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instruments are the engine's and the server's OpenTelemetry metrics. A nil
// *instruments (no meter provider given) records nothing and costs nothing.
type instruments struct {
	steps           metric.Int64Counter
	stepDuration    metric.Float64Histogram
	toolCalls       metric.Int64Counter
	toolDuration    metric.Float64Histogram
	episodesStarted metric.Int64Counter
	episodesEnded   metric.Int64Counter
	rewardScore     metric.Float64Histogram
	protocolErrors  metric.Int64Counter

	// Attribute sets are made once per distinct value and reused: building
	// them was most of what recording cost per step.
	stepDone, stepNotDone metric.MeasurementOption
	toolAttrs             sync.Map // toolKey → toolAttrs
}

type toolKey struct{ name, errKind string }

type toolAttrs struct{ calls, duration metric.MeasurementOption }

// toolOptions returns the attribute options of a tool's calls with an error
// kind (bounded: tool names come from the registry, kinds from toolexec).
func (in *instruments) toolOptions(name, errKind string) toolAttrs {
	key := toolKey{name, errKind}
	if a, ok := in.toolAttrs.Load(key); ok {
		return a.(toolAttrs)
	}
	a := toolAttrs{
		calls:    metric.WithAttributeSet(attribute.NewSet(attribute.String("gen_ai.tool.name", name), attribute.String("error.type", errKind))),
		duration: metric.WithAttributeSet(attribute.NewSet(attribute.String("gen_ai.tool.name", name))),
	}
	in.toolAttrs.Store(key, a)
	return a
}

// newInstruments makes the instruments, and the observable gauge that reads
// the engine's open episodes when the exporter collects.
func newInstruments(mp metric.MeterProvider, e *Engine) (*instruments, error) {
	m := mp.Meter("github.com/dive-env/dive/env")
	var errs []error
	counter := func(name, desc, unit string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc, unit string, bounds ...float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit(unit), metric.WithExplicitBucketBoundaries(bounds...))
		errs = append(errs, err)
		return h
	}
	seconds := []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	in := &instruments{
		steps:           counter("dive.steps", "Assistant turns stepped.", "{step}"),
		stepDuration:    histogram("dive.step.duration", "Time to handle one step, tool calls included.", "s", seconds...),
		toolCalls:       counter("dive.tool.calls", "Tool calls run or refused, by tool and error kind.", "{call}"),
		toolDuration:    histogram("dive.tool.duration", "Duration of one tool call.", "s", seconds...),
		episodesStarted: counter("dive.episodes.started", "Episodes reset.", "{episode}"),
		episodesEnded:   counter("dive.episodes.ended", "Episodes ended, by reason and reward label.", "{episode}"),
		rewardScore:     histogram("dive.reward.score", "Final rewards.", "", 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1),
		protocolErrors:  counter("dive.protocol.errors", "Error replies, by code.", "{error}"),
		stepDone:        metric.WithAttributeSet(attribute.NewSet(attribute.Bool("dive.episode.done", true))),
		stepNotDone:     metric.WithAttributeSet(attribute.NewSet(attribute.Bool("dive.episode.done", false))),
	}
	_, err := m.Int64ObservableGauge("dive.episodes.open", metric.WithDescription("Episodes held: running, or finished and not yet released."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(e.OpenEpisodes()))
			return nil
		}))
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return in, nil
}

func (in *instruments) stepped(ctx context.Context, took time.Duration, done bool) {
	if in == nil {
		return
	}
	attrs := in.stepNotDone
	if done {
		attrs = in.stepDone
	}
	in.steps.Add(ctx, 1, attrs)
	in.stepDuration.Record(ctx, took.Seconds())
}

func (in *instruments) toolCalled(ctx context.Context, name, errKind string, took time.Duration, ran bool) {
	if in == nil {
		return
	}
	attrs := in.toolOptions(name, errKind)
	in.toolCalls.Add(ctx, 1, attrs.calls)
	if ran {
		in.toolDuration.Record(ctx, took.Seconds(), attrs.duration)
	}
}

func (in *instruments) episodeStarted(ctx context.Context, domain string) {
	if in == nil {
		return
	}
	in.episodesStarted.Add(ctx, 1, metric.WithAttributes(attribute.String("dive.task.domain", domain)))
}

func (in *instruments) episodeEnded(ctx context.Context, reason, label string, score float64, scored bool) {
	if in == nil {
		return
	}
	in.episodesEnded.Add(ctx, 1, metric.WithAttributes(attribute.String("dive.episode.reason", reason), attribute.String("dive.reward.label", label)))
	if scored {
		in.rewardScore.Record(ctx, score)
	}
}

func (in *instruments) protocolError(ctx context.Context, code string) {
	if in == nil {
		return
	}
	in.protocolErrors.Add(ctx, 1, metric.WithAttributes(attribute.String("error.code", code)))
}
