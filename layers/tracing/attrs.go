package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// The attribute keys of the spans.
const (
	KeyScheme      = attribute.Key("kv.scheme")         // driver's URL scheme, every span
	KeyName        = attribute.Key("kv.name")           // item or directory; defrag: the new item
	KeyFrom        = attribute.Key("kv.from")           // move: source
	KeyTo          = attribute.Key("kv.to")             // move: target
	KeyOptions     = attribute.Key("kv.options")        // kinds of the per-call options ("range", "deleted", ...)
	KeyRangeOffset = attribute.Key("kv.range.offset")   // load: Range offset
	KeyRangeSize   = attribute.Key("kv.range.size")     // load: Range size
	KeyBytes       = attribute.Key("kv.bytes")          // load: returned, store: given, defrag: of the blocks; streams: read
	KeyStream      = attribute.Key("kv.stream")         // load, store: true for LoadStream and StoreStream
	KeyExists      = attribute.Key("kv.exists")         // info: whether the item exists
	KeyAlgorithm   = attribute.Key("kv.algorithm")      // hash, defrag: the hash algorithm
	KeyBlocks      = attribute.Key("kv.blocks")         // defrag: number of source blocks
	KeyItems       = attribute.Key("kv.items")          // list: number of items yielded
	KeyAbandoned   = attribute.Key("kv.list.abandoned") // list: the caller stopped early
	KeyQuotaLimit  = attribute.Key("kv.quota.limit")    // quota: limit in bytes, -1 not tracked
	KeyQuotaUsage  = attribute.Key("kv.quota.usage")    // quota: usage in bytes, -1 not tracked

	// KeyErrorType (error.type) is on the span of a call that ended in an
	// error: the short name of its sentinel ("not_found", "invalid_name",
	// "connection", "canceled", ...), or else the Go type of the error.
	KeyErrorType = semconv.ErrorTypeKey
)

// spanNames are the span names, "kv." and the operation.
var spanNames = func() (names [kv.NumOps]string) {
	for o := range kv.NumOps {
		names[o] = "kv." + o.String()
	}
	return names
}()

// attrs returns the attributes every span of a call on name with opts
// carries: scheme, name (unless ""), options and range. extra is room for
// the caller's own.
func (l *Layer) attrs(name string, opts []kv.Option, extra int) []attribute.KeyValue {
	a := make([]attribute.KeyValue, 0, 5+extra)
	if l.scheme != "" {
		a = append(a, KeyScheme.String(l.scheme))
	}
	if name != "" {
		a = append(a, KeyName.String(name))
	}
	if len(opts) > 0 {
		kinds := make([]string, len(opts))
		for i, o := range opts {
			kinds[i] = o.Kind().String()
		}
		a = append(a, KeyOptions.StringSlice(kinds))
	}
	if offset, size, ok := backendkit.RangeOf(opts); ok {
		a = append(a, KeyRangeOffset.Int64(offset), KeyRangeSize.Int64(size))
	}
	return a
}

// finish records err on span, if any and if the span is recording, with
// its error.type, and ends it.
func finish(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetAttributes(KeyErrorType.String(observe.ErrorType(err)))
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
