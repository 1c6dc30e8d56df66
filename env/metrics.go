package env

import (
	"context"
	"fmt"
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
}

// newInstruments makes the instruments, and the observable gauges that read
// the engine's state when the exporter collects.
func newInstruments(mp metric.MeterProvider, e *Engine) (*instruments, error) {
	m := mp.Meter("github.com/dive-env/dive/env")
	var in instruments
	var err error
	seconds := metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
	for _, f := range []func() error{
		func() error {
			in.steps, err = m.Int64Counter("dive.steps", metric.WithDescription("Assistant turns stepped."), metric.WithUnit("{step}"))
			return err
		},
		func() error {
			in.stepDuration, err = m.Float64Histogram("dive.step.duration", metric.WithDescription("Time to handle one step, tool calls included."), metric.WithUnit("s"), seconds)
			return err
		},
		func() error {
			in.toolCalls, err = m.Int64Counter("dive.tool.calls", metric.WithDescription("Tool calls run or refused, by tool and error kind."), metric.WithUnit("{call}"))
			return err
		},
		func() error {
			in.toolDuration, err = m.Float64Histogram("dive.tool.duration", metric.WithDescription("Duration of one tool call."), metric.WithUnit("s"), seconds)
			return err
		},
		func() error {
			in.episodesStarted, err = m.Int64Counter("dive.episodes.started", metric.WithDescription("Episodes reset."), metric.WithUnit("{episode}"))
			return err
		},
		func() error {
			in.episodesEnded, err = m.Int64Counter("dive.episodes.ended", metric.WithDescription("Episodes ended, by reason and reward label."), metric.WithUnit("{episode}"))
			return err
		},
		func() error {
			in.rewardScore, err = m.Float64Histogram("dive.reward.score", metric.WithDescription("Final rewards."),
				metric.WithExplicitBucketBoundaries(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1))
			return err
		},
		func() error {
			in.protocolErrors, err = m.Int64Counter("dive.protocol.errors", metric.WithDescription("Error replies, by code."), metric.WithUnit("{error}"))
			return err
		},
		func() error {
			_, err = m.Int64ObservableGauge("dive.episodes.open", metric.WithDescription("Episodes held: running, or finished and not yet released."),
				metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
					o.Observe(int64(e.OpenEpisodes()))
					return nil
				}))
			return err
		},
	} {
		if err := f(); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return &in, nil
}

func (in *instruments) stepped(ctx context.Context, took time.Duration, done bool) {
	if in == nil {
		return
	}
	in.steps.Add(ctx, 1, metric.WithAttributes(attribute.Bool("dive.episode.done", done)))
	in.stepDuration.Record(ctx, took.Seconds())
}

func (in *instruments) toolCalled(ctx context.Context, name, errKind string, took time.Duration, ran bool) {
	if in == nil {
		return
	}
	in.toolCalls.Add(ctx, 1, metric.WithAttributes(attribute.String("gen_ai.tool.name", name), attribute.String("error.type", errKind)))
	if ran {
		in.toolDuration.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("gen_ai.tool.name", name)))
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
