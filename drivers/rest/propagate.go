package rest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// WithTracerProvider makes the driver take the spans of its requests from
// tp. Without it a request's span comes from the provider of the span in
// the call's context.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithPropagator makes the driver inject the trace context with p instead
// of the global propagator (otel.GetTextMapPropagator(), which injects
// nothing until one is set with otel.SetTextMapPropagator).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

// traced is a transport that traces the requests made in the context of a
// span (or with baggage): each attempt gets a span of kind client that
// follows OpenTelemetry's HTTP semantic conventions (otelhttp), and its
// trace context goes into the request's headers (W3C traceparent,
// tracestate and baggage, or what the propagator writes), over HTTP and
// over stdio alike. The span ends when the whole response is read. A
// request whose context has neither a span nor baggage goes straight to
// the transport below, at no extra cost.
type traced struct {
	next transport
	otel http.RoundTripper // otelhttp over roundTripper{next}
}

// traceTransport wraps next with tracing as c says.
func traceTransport(next transport, c *config) transport {
	opts := []otelhttp.Option{otelhttp.WithMeterProvider(noop.NewMeterProvider())}
	if c.tp != nil {
		opts = append(opts, otelhttp.WithTracerProvider(c.tp))
	}
	if c.prop != nil {
		opts = append(opts, otelhttp.WithPropagators(c.prop))
	}
	return &traced{next: next, otel: otelhttp.NewTransport(roundTripper{next}, opts...)}
}

// traceable reports whether a request made with ctx is traced.
func traceable(ctx context.Context) bool {
	return trace.SpanContextFromContext(ctx).IsValid() || baggage.FromContext(ctx).Len() > 0
}

func (t *traced) roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error) {
	if !traceable(ctx) {
		return t.next.roundTrip(ctx, req, limit)
	}
	read := slot{limit: limit}
	res, err := t.otel.RoundTrip(req.WithContext(context.WithValue(ctx, slotKey{}, &read)))
	if err != nil {
		return nil, err
	}
	// Reading the body to its end ends the span; it is the response read
	// by the transport below, which is handed back as it was.
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return read.resp, nil
}

// open is transport.open in a span that ends when the body does.
func (t *traced) open(ctx context.Context, req *http.Request, stream bool) (*http.Response, error) {
	if !traceable(ctx) {
		return t.next.open(ctx, req, stream)
	}
	return t.otel.RoundTrip(req.WithContext(context.WithValue(ctx, slotKey{}, &slot{open: true, stream: stream})))
}

func (t *traced) reset()   { t.next.reset() }
func (t *traced) release() { t.next.release() }

// slot carries the read limit of a traced request to roundTripper and
// receives the response it read.
type slot struct {
	limit  int64
	resp   *response
	open   bool // the answer is handed over unread (open), stream as open has it
	stream bool
}

// slotKey is the context key of the slot.
type slotKey struct{}

// roundTripper is an http.RoundTripper over a transport, for otelhttp: it
// keeps the response read in the slot of the request's context.
type roundTripper struct{ t transport }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	s, _ := req.Context().Value(slotKey{}).(*slot)
	if s == nil {
		s = &slot{limit: -1}
	}
	if s.open {
		return rt.t.open(req.Context(), req, s.stream)
	}
	resp, err := rt.t.roundTrip(req.Context(), req, s.limit)
	if err != nil {
		return nil, err
	}
	s.resp = resp
	return &http.Response{StatusCode: resp.status, Status: strconv.Itoa(resp.status) + " " +
		http.StatusText(resp.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: resp.header, ContentLength: int64(len(resp.body)), Request: req,
		Body: io.NopCloser(bytes.NewReader(resp.body))}, nil
}
