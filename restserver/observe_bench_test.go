package restserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/benchtest"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/restserver"
)

// BenchmarkObserve measures what observing adds to a request on the
// server: ServeHTTP of a 4 KiB load over the memory driver, without a
// network. "plain" has no observing option (the cost of a server without
// a propagator); "traced" continues a client's trace (a traceparent
// header, the SDK's provider recording the span, W3C propagation);
// "traced-no-parent" the same without a traceparent header; "metrics"
// records the HTTP metrics with the SDK and a manual reader; "access-log"
// logs a JSON line to io.Discard; "all" does the three.
func BenchmarkObserve(b *testing.B) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	access := slog.New(slog.NewJSONHandler(io.Discard, nil))
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, bc := range []struct {
		name   string
		opts   []restserver.Option
		header string
	}{
		{"plain", nil, ""},
		{"plain-traceparent", nil, traceparent},
		{"traced", []restserver.Option{restserver.WithTracing(tp, prop)}, traceparent},
		{"traced-no-parent", []restserver.Option{restserver.WithTracing(tp, prop)}, ""},
		{"metrics", []restserver.Option{restserver.WithMeterProvider(mp), restserver.WithServerAddress("127.0.0.1:5618")}, ""},
		{"access-log", []restserver.Option{restserver.WithAccessLog(access)}, ""},
		{"all", []restserver.Option{restserver.WithTracing(tp, prop), restserver.WithMeterProvider(mp),
			restserver.WithAccessLog(access), restserver.WithServerAddress("127.0.0.1:5618")}, traceparent},
	} {
		backend := kvtest.Fill(b, kvtest.OpenStore(b, kv.Backend(memory.New(""))), map[string]string{"data/0123": string(make([]byte, 4096))})
		h := restserver.New(backend, bc.opts...)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			benchtest.CPU(b)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/data/0123", nil)
				req.Header.Set("Accept", restproto.MediaType)
				if bc.header != "" {
					req.Header.Set("Traceparent", bc.header)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
		h.Close(context.Background())
	}
}
