// Package metrics is a kv.Backend layer that records OpenTelemetry metrics
// of every call: its duration and the bytes it moved. Streams count as
// loads and stores: their bytes as they flow, a LoadStream's duration up
// to the end of the stream (its end, a failed Read, or Close).
package metrics

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
)

// MeterName is the instrumentation name of the meter the layer asks its
// MeterProvider for; its version is the kvcompose module's.
const MeterName = "github.com/kvcompose/compose/layers/metrics"

// The names of the instruments.
const (
	// DurationName is a histogram of the duration of the calls, in
	// seconds, failed ones included.
	DurationName = "kvcompose.operation.duration"
	// BytesName is a counter of the bytes moved by the calls that
	// succeeded: returned by load, given to store, read by defrag; and of
	// the bytes that flowed through LoadStream and StoreStream (counted
	// as load and store), as they flow.
	BytesName = "kvcompose.operation.bytes"
)

// The attribute keys of the measurements.
const (
	// KeyOperation is the operation, kv.Op's name: "load", "store", ...
	KeyOperation = attribute.Key("kvcompose.operation")
	// KeyScheme is the URL scheme of the driver below: "file", "mem",
	// "sftp", "rclone", ...
	KeyScheme = attribute.Key("kvcompose.scheme")
	// KeyErrorType (error.type) is on the duration of a call that ended in
	// an error: the short name of its sentinel ("not_found",
	// "invalid_name", "connection", "canceled", ...), or else the Go type
	// of the error.
	KeyErrorType = semconv.ErrorTypeKey
)

// DurationBuckets returns the bucket boundaries, in seconds, that the layer
// advises for DurationName: from 100 µs (a memory or local call) to 10 s
// (a large value over a slow link). Each call returns a new slice.
func DurationBuckets() []float64 {
	return []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
		0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// Layer records two instruments for every call that passes through it:
// DurationName, the time spent below the layer (for a List, the time
// inside the backend's iterator, once per iteration, when it ends), and
// BytesName. Every measurement carries KeyOperation and KeyScheme (and,
// for a remote driver that names its server, server.address and
// server.port), a failed one KeyErrorType too. Info of a missing item is not an error;
// Load of one is (error.type "not_found").
//
// The attribute sets of the calls that succeed, and of those that fail
// with one of kvcompose's sentinel errors, are built once, in New, so a
// call costs two clock readings, the histogram's Record, and for the
// bytes an atomic addition: BytesName is an observable counter, whose
// callback reports the layer's own totals when the metrics are collected
// (the callback is unregistered once the layer is garbage).
type Layer struct {
	next     kv.Backend
	duration metric.Float64Histogram
	moved    *moved
	base     []attribute.KeyValue // scheme (and server) attributes
	ok       [kv.NumOps]measure
	failed   [kv.NumOps]map[string]measure // by error type, read-only after New
}

// moved are the bytes moved per operation, which the callback of the
// bytes counter observes; each on a cache line of its own, so that loads
// and stores in different goroutines do not contend.
type moved [kv.NumOps]struct {
	n atomic.Int64
	_ [56]byte
}

var _ kv.Backend = (*Layer)(nil)

// measure holds the prepared attribute set of one kind of measurement.
type measure struct {
	record  []metric.RecordOption
	observe []metric.ObserveOption
}

func newMeasure(attrs ...attribute.KeyValue) measure {
	o := metric.WithAttributeSet(attribute.NewSet(attrs...))
	return measure{record: []metric.RecordOption{o}, observe: []metric.ObserveOption{o}}
}

// Option configures a Layer.
type Option func(*config)

type config struct {
	mp metric.MeterProvider
}

// WithMeterProvider makes the layer take its instruments from mp. Without
// it, the layer uses the global provider, otel.GetMeterProvider(), as it
// is when New runs; OpenTelemetry's global provider hands the measurements
// of instruments made before otel.SetMeterProvider to the provider set
// then.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// New returns a metrics layer over next. The scheme of the driver below is
// read once, here, and the instruments are made here.
func New(next kv.Backend, opts ...Option) *Layer {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	meter := c.mp.Meter(MeterName, metric.WithInstrumentationVersion(observe.Version()),
		metric.WithSchemaURL(observe.SchemaURL))
	l := &Layer{next: next, moved: new(moved)}
	var err error
	l.duration, err = meter.Float64Histogram(DurationName, metric.WithUnit("s"),
		metric.WithDescription("Duration of kvcompose backend calls."),
		metric.WithExplicitBucketBoundaries(DurationBuckets()...))
	if err != nil {
		otel.Handle(err)
		l.duration = noop.Float64Histogram{}
	}
	l.base = baseAttributes(next)
	types := observe.ErrorTypes()
	for op := range kv.NumOps {
		l.ok[op] = l.measure(op, "")
		l.failed[op] = make(map[string]measure, len(types))
		for _, t := range types {
			l.failed[op][t] = l.measure(op, t)
		}
	}
	l.observeBytes(meter)
	return l
}

// observeBytes makes the bytes counter, whose callback reports l.moved.
// The callback holds the counts and the attribute sets, not the layer, so
// that the layer can become garbage; a cleanup then unregisters it.
func (l *Layer) observeBytes(meter metric.Meter) {
	counter, err := meter.Int64ObservableCounter(BytesName, metric.WithUnit("By"),
		metric.WithDescription("Bytes moved by kvcompose backend calls that succeeded: returned by load, given to store, read by defrag; by streams, as they flow."))
	if err != nil {
		otel.Handle(err)
		return
	}
	counts := l.moved
	var sets [kv.NumOps][]metric.ObserveOption
	for op := range kv.NumOps {
		sets[op] = l.ok[op].observe
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for op := range kv.NumOps {
			if n := counts[op].n.Load(); n > 0 {
				o.ObserveInt64(counter, n, sets[op]...)
			}
		}
		return nil
	}, counter)
	if err != nil {
		otel.Handle(err)
		return
	}
	runtime.AddCleanup(l, func(r metric.Registration) { r.Unregister() }, reg)
}

// measure returns the attribute set of op with the error type t ("" for
// none).
func (l *Layer) measure(op kv.Op, t string) measure {
	a := append([]attribute.KeyValue{KeyOperation.String(op.String())}, l.base...)
	if t != "" {
		a = append(a, KeyErrorType.String(t))
	}
	return newMeasure(a...)
}

// baseAttributes returns the attributes of the driver below next that
// every measurement carries: its scheme and, for a remote driver that
// names its server, server.address and server.port.
func baseAttributes(next kv.Backend) []attribute.KeyValue {
	p := kv.PropertiesOf(next)
	var a []attribute.KeyValue
	if p.Scheme != "" {
		a = append(a, KeyScheme.String(p.Scheme))
	}
	return append(a, observe.ServerAttributes(p)...)
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// epoch is the origin of the layer's clock.
var epoch = time.Now()

// now reads the layer's clock: the monotonic time since epoch. It reads
// the system's clock once, where time.Now reads both the wall clock and
// the monotonic one (on a virtual machine each reading costs tens of
// nanoseconds, a good part of the layer's cost).
func now() time.Duration { return time.Since(epoch) }

// done records a call of op that started at start (from now), moved
// bytes (counted only if it succeeded) and ended with err.
func (l *Layer) done(ctx context.Context, op kv.Op, start time.Duration, bytes int64, err error) {
	l.record(ctx, op, now()-start, bytes, err)
}

// record records a call of op that took d.
func (l *Layer) record(ctx context.Context, op kv.Op, d time.Duration, bytes int64, err error) {
	if err == nil {
		m := &l.ok[op]
		l.duration.Record(ctx, d.Seconds(), m.record...)
		if bytes > 0 {
			l.moved[op].n.Add(bytes)
		}
		return
	}
	t := observe.ErrorType(err)
	m, ok := l.failed[op][t]
	if !ok {
		m = l.measure(op, t)
	}
	l.duration.Record(ctx, d.Seconds(), m.record...)
}
