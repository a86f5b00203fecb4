package restserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/restserver"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// observed are the options that turn every observer on.
func observed(rec *tracetest.SpanRecorder, log io.Writer) []restserver.Option {
	return []restserver.Option{
		restserver.WithTracing(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), propagation.TraceContext{}),
		restserver.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
		restserver.WithAccessLog(slog.New(slog.NewJSONHandler(log, nil))),
		restserver.WithServerAddress("127.0.0.1:5618"),
	}
}

// TestObservedStall checks that a stuck client is still dropped after the
// stall timeout when the handler is traced, measured and logged (their
// ResponseWriters let the handler reach the connection's deadlines).
func TestObservedStall(t *testing.T) {
	var log syncBuffer
	g := newFixture(t, append(observed(tracetest.NewSpanRecorder(), &log),
		restserver.WithStallTimeout(100*time.Millisecond))...)
	stuck := g.dial(t)
	fmt.Fprintf(stuck, "POST /stuck HTTP/1.1\r\nHost: t\r\n%sContent-Length: 1000\r\n\r\nxx",
		strings.ReplaceAll(accept, "\n", "\r\n"))
	stuck.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(stuck); err != nil {
		t.Errorf("the stuck connection was not closed by the server: %v", err)
	}
	if got := g.files(t); len(got) != 0 {
		t.Errorf("files in the store: %v", got)
	}
}

// TestAccessLogAndSpan sends a traced request: the server's span continues
// the client's trace, and the access log names the request and the trace.
func TestAccessLogAndSpan(t *testing.T) {
	var log syncBuffer
	rec := tracetest.NewSpanRecorder()
	f := newFixture(t, observed(rec, &log)...)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	resp, _ := f.raw(t, "GET /data/0123 HTTP/1.1\n"+accept+"Traceparent: 00-"+traceID+"-00f067aa0ba902b7-01\n", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("load of a missing item: %d", resp.StatusCode)
	}
	<-f.done // the handler has returned: its span has ended, its line is logged
	var server bool
	for _, s := range rec.Ended() {
		if s.Name() == "GET /{name}" && s.SpanContext().TraceID().String() == traceID &&
			s.Parent().SpanID().String() == "00f067aa0ba902b7" {
			server = true
		}
	}
	if !server {
		t.Errorf("no server span GET /{name} child of the client's span among %d", len(rec.Ended()))
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(log.String()), &line); err != nil {
		t.Fatalf("access log %q: %v", log.String(), err)
	}
	for k, want := range map[string]any{"msg": "request", "method": "GET", "name": "/data/0123",
		"status": 404.0, "bytes_in": 0.0, "trace_id": traceID} {
		if line[k] != want {
			t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], want, line)
		}
	}
	if _, ok := line["duration"].(float64); !ok {
		t.Errorf("access log without a duration: %v", line)
	}
	if b, ok := line["bytes_out"].(float64); !ok || b == 0 {
		t.Errorf("access log bytes_out %v, want the error message's length", line["bytes_out"])
	}
}

// TestBodyMemoryMetric checks that the body-memory gauge reports the bytes
// reserved from the memory budget by a body being read, and nothing once
// the store is answered.
func TestBodyMemoryMetric(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var h *restserver.Handler
	f := newFixtureFor(t, func(drv kv.Backend) *restserver.Handler {
		h = restserver.New(drv, restserver.WithMemoryBudget(100), restserver.WithMeterProvider(mp))
		return h
	})
	slow := f.dial(t)
	fmt.Fprintf(slow, "POST /slow HTTP/1.1\r\nHost: t\r\n%sContent-Length: 80\r\n\r\nxx", strings.ReplaceAll(accept, "\n", "\r\n"))
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 80 })
	if got := gaugeValue(t, reader, restserver.BodyMemoryName); got != 80 {
		t.Errorf("%s while an 80-byte body is read: %d, want 80", restserver.BodyMemoryName, got)
	}
	io.WriteString(slow, strings.Repeat("x", 78))
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if resp, body := readResponse(t, slow); resp.StatusCode != http.StatusOK {
		t.Fatalf("slow store: %d %q", resp.StatusCode, body)
	}
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 0 })
	if got := gaugeValue(t, reader, restserver.BodyMemoryName); got != 0 {
		t.Errorf("%s once the store is answered: %d, want 0", restserver.BodyMemoryName, got)
	}
}

// gaugeValue collects reader and returns the value of the int64 gauge name.
func gaugeValue(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok && m.Name == name && len(g.DataPoints) == 1 {
				return g.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no gauge %s in %+v", name, rm)
	return 0
}
