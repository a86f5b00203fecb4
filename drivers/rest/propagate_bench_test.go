package rest

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kvcompose/compose/internal/benchtest"
)

// fixed is a transport that answers every request with the same response
// at once.
type fixed struct{ resp *response }

func (f fixed) roundTrip(context.Context, *http.Request, int64) (*response, error) {
	return f.resp, nil
}
func (fixed) open(context.Context, *http.Request, bool) (*http.Response, error) {
	return nil, errors.New("not a stream transport")
}
func (fixed) reset()   {}
func (fixed) release() {}

// BenchmarkPropagation measures what tracing adds to a request on the
// client, over a transport that does no work: "bare" is the transport
// alone, "no-span" the traced transport with a context without a span
// (the cost every untraced request pays), "span" with a recording span of
// the SDK in the context and W3C trace context and baggage propagated (a
// client span, its attributes and the injected headers).
func BenchmarkPropagation(b *testing.B) {
	bare := fixed{&response{status: http.StatusOK, header: http.Header{}, body: make([]byte, 4096)}}
	tp := sdktrace.NewTracerProvider()
	c := &config{prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	traced := traceTransport(bare, c)
	spanCtx, span := tp.Tracer("bench").Start(context.Background(), "caller")
	defer span.End()
	for _, bc := range []struct {
		name string
		tr   transport
		ctx  context.Context
	}{
		{"bare", bare, context.Background()},
		{"no-span", traced, context.Background()},
		{"span", traced, spanCtx},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:5618/data/0123", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			benchtest.CPU(b)
			for b.Loop() {
				if _, err := bc.tr.roundTrip(bc.ctx, req, -1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPropagationHeaders checks what the traced transport sends: the
// trace context of the span in the call's context, and nothing extra
// without one.
func TestPropagationHeaders(t *testing.T) {
	var sent http.Header
	spy := spyTransport(func(req *http.Request) { sent = req.Header.Clone() })
	c := &config{prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	tr := traceTransport(spy, c)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:5618/data/0123", nil)
	if _, err := tr.roundTrip(context.Background(), req, -1); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 0 {
		t.Errorf("without a span the request carries %v, want no header", sent)
	}
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "caller")
	defer span.End()
	if _, err := tr.roundTrip(ctx, req, -1); err != nil {
		t.Fatal(err)
	}
	tc := sent.Get("Traceparent")
	if len(tc) != 55 || tc[3:35] != span.SpanContext().TraceID().String() || tc[37:53] == span.SpanContext().SpanID().String() {
		t.Errorf("traceparent %q, want the trace %s with a client span of its own", tc, span.SpanContext().TraceID())
	}
}

// spyTransport is a transport that passes each request to f and answers
// 200.
type spyTransport func(*http.Request)

func (f spyTransport) roundTrip(_ context.Context, req *http.Request, _ int64) (*response, error) {
	f(req)
	return &response{status: http.StatusOK, header: http.Header{}}, nil
}
func (spyTransport) open(context.Context, *http.Request, bool) (*http.Response, error) {
	return nil, errors.New("not a stream transport")
}
func (spyTransport) reset()   {}
func (spyTransport) release() {}
