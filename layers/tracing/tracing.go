// Package tracing is a kv.Backend layer that makes one OpenTelemetry span
// per call.
package tracing

import (
	"context"
	"reflect"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kvcompose/compose/kv"
)

// TracerName is the instrumentation name of the tracer the layer asks its
// TracerProvider for.
const TracerName = "github.com/kvcompose/compose/layers/tracing"

// Layer makes one span per call that passes through it, named "kv." and
// the operation ("kv.load", "kv.store", ...), of kind client, as a child
// of the span in the call's context; the context handed down holds the new
// span. The attributes (see the Key constants) are only built when the
// span is recording. A failed call records the error on its span and sets
// the status to Error; Info of a missing item is not an error.
//
// The span of a List starts when the iteration starts (a List whose result
// is never ranged makes no span) and ends when the iteration ends or is
// abandoned, with the number of items yielded.
//
// With the no-op provider (go.opentelemetry.io/otel/trace/noop), and with
// the global provider while none has been set with otel.SetTracerProvider,
// the layer makes no span at all and adds no allocation. (The one thing
// this skips is eBPF auto-instrumentation of the unset global provider,
// go.opentelemetry.io/auto; set a provider to trace with it.)
type Layer struct {
	next   kv.Backend
	scheme string
	fixed  *tracer                // from WithTracerProvider, or nil
	global atomic.Pointer[tracer] // the last tracer of the global provider
}

var _ kv.Backend = (*Layer)(nil)

// Option configures a Layer.
type Option func(*Layer)

// WithTracerProvider makes the layer take its spans from tp. Without it
// the layer uses the global provider, otel.GetTracerProvider(), looked up
// at every call, so that a provider set with otel.SetTracerProvider after
// New is used too.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(l *Layer) {
		if tp != nil {
			l.fixed = newTracer(tp)
		}
	}
}

// New returns a tracing layer over next. The scheme of the driver below
// (kv.PropertiesOf) is read once, here.
func New(next kv.Backend, opts ...Option) *Layer {
	l := &Layer{next: next, scheme: kv.PropertiesOf(next).Scheme}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// tracer is the tracer of one provider.
type tracer struct {
	tp     trace.TracerProvider
	tracer trace.Tracer
	noop   bool // makes no spans: skip them
}

func newTracer(tp trace.TracerProvider) *tracer {
	t := tp.Tracer(TracerName)
	_, noopProvider := tp.(noop.TracerProvider)
	_, noopTracer := t.(noop.Tracer)
	return &tracer{tp: tp, tracer: t, noop: noopProvider || noopTracer || isUnsetGlobal(tp)}
}

// unsetGlobal is OpenTelemetry's global provider before any
// otel.SetTracerProvider: a placeholder whose spans record nothing. It is
// nil if a provider was already set when this package was initialised.
var unsetGlobal = func() trace.TracerProvider {
	tp := otel.GetTracerProvider()
	t := reflect.TypeOf(tp)
	if t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global" {
		return tp
	}
	return nil
}()

// isUnsetGlobal reports whether tp is the global placeholder: no provider
// has been set, so spans would not be recorded. (otel.SetTracerProvider
// replaces the global, so a provider set later is not the placeholder.)
func isUnsetGlobal(tp trace.TracerProvider) bool {
	return unsetGlobal != nil && sameProvider(tp, unsetGlobal)
}

// tracer returns the tracer for a call.
func (l *Layer) tracer() *tracer {
	if l.fixed != nil {
		return l.fixed
	}
	tp := otel.GetTracerProvider()
	if t := l.global.Load(); t != nil && sameProvider(t.tp, tp) {
		return t
	}
	t := newTracer(tp)
	l.global.Store(t)
	return t
}

// sameProvider compares two providers without panicking on a provider of
// an uncomparable type (which then never counts as the same).
func sameProvider(a, b trace.TracerProvider) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// spanStart are the options of every span.
var spanStart = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}

// start starts the span of op, or returns a nil span when the provider
// makes none.
func (l *Layer) start(ctx context.Context, o kv.Op) (context.Context, trace.Span) {
	t := l.tracer()
	if t.noop {
		return ctx, nil
	}
	return t.tracer.Start(ctx, spanNames[o], spanStart...)
}
