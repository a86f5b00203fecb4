package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/internal/observe"
)

// telemetry is what a long-running command (serve, bench) exports: traces
// and metrics as the standard OTEL_* variables ask, and metrics for
// Prometheus when serve's --metrics-listen asks. With none of them it is
// empty: nothing is exported and no goroutine is started.
type telemetry struct {
	tp   trace.TracerProvider          // nil: no traces
	prop propagation.TextMapPropagator // with tp
	mp   metric.MeterProvider          // nil: no metrics
	prom *prometheus.Registry          // for --metrics-listen, or nil

	shutdown []func(context.Context) error
}

// wantSignal reports whether the environment asks to export a signal
// ("TRACES" or "METRICS"): OTEL_<SIGNAL>_EXPORTER names an exporter other
// than none, or, when it is unset, an OTLP endpoint is given
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT).
// OTEL_SDK_DISABLED=true turns every signal off. Unlike the OpenTelemetry
// default (OTLP to localhost), nothing is exported unless asked.
func wantSignal(signal string) bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if exp, ok := os.LookupEnv("OTEL_" + signal + "_EXPORTER"); ok && strings.TrimSpace(exp) != "" {
		return strings.TrimSpace(exp) != "none"
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" ||
		os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != ""
}

// startTelemetry sets up what the environment asks for (and a Prometheus
// registry when prom is true), and makes its providers and the propagator
// the global ones, so that every store the command opens is traced and
// measured with them.
func startTelemetry(ctx context.Context, prom bool) (*telemetry, error) {
	t := &telemetry{}
	traces, metrics := wantSignal("TRACES"), wantSignal("METRICS")
	if !traces && !metrics && !prom {
		return t, nil
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("kvcompose"), semconv.ServiceVersion(observe.Version())),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil && res == nil {
		return nil, err
	}
	if traces {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, err
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		t.tp, t.prop = tp, autoprop.NewTextMapPropagator()
		t.shutdown = append(t.shutdown, tp.Shutdown)
		otel.SetTracerProvider(tp)
		otel.SetTextMapPropagator(t.prop)
	}
	var readers []sdkmetric.Option
	if metrics {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, t.stop(err)
		}
		readers = append(readers, sdkmetric.WithReader(r))
	}
	if prom {
		t.prom = prometheus.NewRegistry()
		exp, err := promexporter.New(promexporter.WithRegisterer(t.prom))
		if err != nil {
			return nil, t.stop(err)
		}
		readers = append(readers, sdkmetric.WithReader(exp))
	}
	if len(readers) > 0 {
		mp := sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(res))...)
		t.mp = mp
		t.shutdown = append(t.shutdown, mp.Shutdown)
		otel.SetMeterProvider(mp)
	}
	return t, nil
}

// stop flushes and ends the exporters, within 10 seconds; err is an error
// to return along with theirs.
func (t *telemetry) stop(err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, f := range t.shutdown {
		err = errors.Join(err, f(ctx))
	}
	t.shutdown = nil
	return err
}

// meterOptions are the options that measure a store opened with t: the
// metrics layer with t's meter provider, when there is one. (Its tracer
// provider is the global one, which the tracing layer takes by default.)
func (t *telemetry) meterOptions() []compose.Option {
	if t.mp == nil {
		return nil
	}
	return []compose.Option{compose.WithMeterProvider(t.mp)}
}
