// Package telemetry sets up OpenTelemetry: tracing from the standard OTEL_*
// environment variables (off unless the environment asks for it), and
// metrics exported in the Prometheus format.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Enabled reports whether the environment asks for traces:
// OTEL_TRACES_EXPORTER set to something other than "none", or an OTLP
// endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT or ..._TRACES_ENDPOINT),
// unless OTEL_SDK_DISABLED is "true".
func Enabled(getenv func(string) string) bool {
	if getenv("OTEL_SDK_DISABLED") == "true" {
		return false
	}
	if e := getenv("OTEL_TRACES_EXPORTER"); e != "" {
		return e != "none"
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs a tracer provider with the exporter the environment names
// (OTEL_TRACES_EXPORTER: otlp — gRPC or HTTP by OTEL_EXPORTER_OTLP_PROTOCOL —
// or console for stdout) and the W3C trace-context propagator. It returns a
// shutdown function that flushes the spans, and whether tracing is on.
func Setup(ctx context.Context, service, version string) (func(context.Context) error, bool, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !Enabled(os.Getenv) {
		return func(context.Context) error { return nil }, false, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("trace exporter: %w", err)
	}
	// Our name and version first; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, false, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, true, nil
}

// Metrics returns a meter provider whose instruments are exported in the
// Prometheus text format by the returned handler (serve it at /metrics).
func Metrics(service, version string) (metric.MeterProvider, http.Handler, error) {
	reg := prom.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", service), attribute.String("service.version", version))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}
