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

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
)

// TracerName is the instrumentation name of the tracer the layer asks its
// TracerProvider for.
const TracerName = "github.com/kvcompose/compose/layers/tracing"

// Layer makes one span per call that passes through it, named "kv." and
// the operation ("kv.load", "kv.store", ...), as a child of the span in
// the call's context; the context handed down holds the new span. The
// spans follow OpenTelemetry's semantic conventions: over a remote driver
// (kv.Properties.Remote: sftp, rclone) they are of kind client and carry
// server.address and server.port where the driver names its server; over
// a local one (file, mem) they are internal. The attributes (see the Key
// constants) are only built when the span is recording. A failed call
// records the error on its span, sets the status to Error and the
// attribute error.type (KeyErrorType); Info of a missing item is not an
// error.
//
// The tracer's instrumentation scope is TracerName with the version of the
// kvcompose module in the binary (from runtime/debug.ReadBuildInfo;
// "(devel)" in a build of the module itself).
//
// The span of a List starts when the iteration starts (a List whose result
// is never ranged makes no span) and ends when the iteration ends or is
// abandoned, with the number of items yielded.
//
// A LoadStream makes a span named as Load's, with KeyStream set, that
// ends when the stream ends (at its end, a Read error or Close, whichever
// comes first), not when LoadStream returns, with the bytes read; a
// StoreStream's span, named as Store's, covers the call.
//
// With the no-op provider (go.opentelemetry.io/otel/trace/noop), and with
// the global provider while none has been set with otel.SetTracerProvider,
// the layer makes no span at all and adds no allocation. The layer knows
// the global provider is unset when otel.GetTracerProvider() still returns
// the placeholder it returned when this package was initialised (no
// reflection into OpenTelemetry). Two consequences: a provider set by
// another package's init function before this package's is taken for the
// placeholder (set it from main instead), and OpenTelemetry's eBPF
// auto-instrumentation (go.opentelemetry.io/auto), which hooks the unset
// placeholder, sees no spans from this layer (set a provider to trace).
type Layer struct {
	next   kv.Backend
	scheme string
	opts   []trace.SpanStartOption // kind, server attributes
	fixed  *tracer                 // from WithTracerProvider, or nil
	global atomic.Pointer[tracer]  // the last tracer of the global provider
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

// New returns a tracing layer over next. The properties of the driver
// below (kv.PropertiesOf: scheme, remote, server) are read once, here.
func New(next kv.Backend, opts ...Option) *Layer {
	p := kv.PropertiesOf(next)
	kind := trace.SpanKindInternal
	if p.Remote {
		kind = trace.SpanKindClient
	}
	l := &Layer{next: next, scheme: p.Scheme, opts: []trace.SpanStartOption{trace.WithSpanKind(kind)}}
	if server := observe.ServerAttributes(p); server != nil {
		l.opts = append(l.opts, trace.WithAttributes(server...))
	}
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

// tracerOptions name the instrumentation scope.
var tracerOptions = []trace.TracerOption{
	trace.WithInstrumentationVersion(observe.Version()),
	trace.WithSchemaURL(observe.SchemaURL),
}

func newTracer(tp trace.TracerProvider) *tracer {
	t := tp.Tracer(TracerName, tracerOptions...)
	_, noopProvider := tp.(noop.TracerProvider)
	_, noopTracer := t.(noop.Tracer)
	return &tracer{tp: tp, tracer: t, noop: noopProvider || noopTracer || sameProvider(tp, unsetGlobal)}
}

// unsetGlobal is the global provider as it was when this package was
// initialised: OpenTelemetry's placeholder, whose spans record nothing,
// unless another package's init set a provider before (see Layer).
// otel.SetTracerProvider replaces the global, so a provider set later is
// never unsetGlobal.
var unsetGlobal = otel.GetTracerProvider()

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

// start starts the span of op, or returns a nil span when the provider
// makes none.
func (l *Layer) start(ctx context.Context, o kv.Op) (context.Context, trace.Span) {
	t := l.tracer()
	if t.noop {
		return ctx, nil
	}
	return t.tracer.Start(ctx, spanNames[o], l.opts...)
}
