// Package otlptest is an OTLP/HTTP receiver for tests: it decodes the
// protobuf payloads that OpenTelemetry's exporters send to /v1/traces and
// /v1/metrics and keeps what they hold.
package otlptest

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver receives OTLP/HTTP exports (protobuf, plain or gzip) until the
// test ends.
type Receiver struct {
	// URL is the endpoint to give as OTEL_EXPORTER_OTLP_ENDPOINT.
	URL string

	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics []*metricspb.Metric
	exports int
}

// New starts a Receiver on 127.0.0.1, closed when tb ends.
func New(tb testing.TB) *Receiver {
	r := &Receiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", handle(r, func(m *colltracepb.ExportTraceServiceRequest) {
		for _, rs := range m.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
	}, &colltracepb.ExportTraceServiceResponse{}))
	mux.HandleFunc("POST /v1/metrics", handle(r, func(m *collmetricspb.ExportMetricsServiceRequest) {
		for _, rm := range m.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				r.metrics = append(r.metrics, sm.Metrics...)
			}
		}
	}, &collmetricspb.ExportMetricsServiceResponse{}))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// handle returns the handler of one kind of export: it decodes the
// request, a *M, counts the export and keeps what it holds with keep
// (under r.mu), and answers with answer.
func handle[M any, PM interface {
	*M
	proto.Message
}](r *Receiver, keep func(PM), answer proto.Message) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		m := PM(new(M))
		if !decode(w, req, m) {
			return
		}
		r.mu.Lock()
		r.exports++
		keep(m)
		r.mu.Unlock()
		reply(w, answer)
	}
}

// decode reads the protobuf request body into m, answering 400 when it
// cannot.
func decode(w http.ResponseWriter, req *http.Request, m proto.Message) bool {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	if err == nil {
		err = proto.Unmarshal(data, m)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, m proto.Message) {
	data, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(data)
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// Metrics returns the metrics received so far, one entry per export of
// each.
func (r *Receiver) Metrics() []*metricspb.Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*metricspb.Metric(nil), r.metrics...)
}

// Exports returns the number of exports received.
func (r *Receiver) Exports() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exports
}
