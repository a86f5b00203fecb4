package tracing_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/tracing"
)

// recorded returns a tracer provider that records into a new recorder.
func recorded() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)), sr
}

// openStore returns an open tracing layer with tp over a memory store
// holding "ns/a" = "0123456789" and "ns/b" = "b".
func openStore(t testing.TB, tp trace.TracerProvider) *tracing.Layer {
	t.Helper()
	drv := kvtest.Fill(t, kvtest.OpenStore(t, memory.New("")), map[string]string{"ns/a": "0123456789", "ns/b": "b"})
	return tracing.New(drv, tracing.WithTracerProvider(tp))
}

func TestBackend(t *testing.T) {
	tp, _ := recorded()
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return tracing.New(memory.New(""), tracing.WithTracerProvider(tp))
	})
}

// attrs returns the attributes of s as a map.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// checkSpan checks the name, kind (internal: the memory driver is local),
// scope, status and attributes of s; errType is the error.type of a failed
// call, "" for one that succeeded.
func checkSpan(t *testing.T, s sdktrace.ReadOnlySpan, name string, errType string, want []attribute.KeyValue) {
	t.Helper()
	failed := errType != ""
	if failed {
		want = append(want, tracing.KeyErrorType.String(errType))
	}
	if s.Name() != name {
		t.Errorf("span %q, want %q", s.Name(), name)
	}
	if s.SpanKind() != trace.SpanKindInternal {
		t.Errorf("%s: kind %v", name, s.SpanKind())
	}
	if sc := s.InstrumentationScope(); sc.Name != tracing.TracerName || sc.Version != "(devel)" ||
		sc.SchemaURL != semconv.SchemaURL {
		t.Errorf("%s: scope %+v", name, sc)
	}
	if got := s.Status().Code == codes.Error; got != failed {
		t.Errorf("%s: status %v, want error: %v", name, s.Status(), failed)
	}
	if failed && !slices.ContainsFunc(s.Events(), func(e sdktrace.Event) bool { return e.Name == "exception" }) {
		t.Errorf("%s: error not recorded: events %v", name, s.Events())
	}
	got := attrs(s)
	for _, w := range want {
		if g, ok := got[w.Key]; !ok || g != w.Value {
			if ok && g.Type() == attribute.STRINGSLICE && slices.Equal(g.AsStringSlice(), w.Value.AsStringSlice()) {
				continue
			}
			t.Errorf("%s: %s = %v (present %v), want %v", name, w.Key, g.Emit(), ok, w.Value.Emit())
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: attributes %v, want exactly %v", name, s.Attributes(), want)
	}
}

func md5Of(s string) string {
	sum, _ := backendkit.HashBytes("md5", []byte(s))
	return sum
}

func TestSpans(t *testing.T) {
	ctx := context.Background()
	scheme := tracing.KeyScheme.String("mem")
	for _, tc := range []struct {
		call    func(l *tracing.Layer) error
		name    string
		errType string
		attrs   []attribute.KeyValue
	}{
		{func(l *tracing.Layer) error { _, err := l.Load(ctx, "ns/a", kv.Range(-4, 2)); return err },
			"kv.load", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/a"),
				tracing.KeyOptions.StringSlice([]string{"range"}), tracing.KeyRangeOffset.Int(-4),
				tracing.KeyRangeSize.Int(2), tracing.KeyBytes.Int(2)}},
		{func(l *tracing.Layer) error { _, err := l.Load(ctx, "ns/zz"); return err },
			"kv.load", "not_found", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/zz"), tracing.KeyBytes.Int(0)}},
		{func(l *tracing.Layer) error { return l.Store(ctx, "ns/c", []byte("hello")) },
			"kv.store", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/c"), tracing.KeyBytes.Int(5)}},
		{func(l *tracing.Layer) error { return l.Store(ctx, "ns/c", nil, kv.SoftDelete()) },
			"kv.store", "unsupported", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/c"),
				tracing.KeyOptions.StringSlice([]string{"soft-delete"}), tracing.KeyBytes.Int(0)}},
		{func(l *tracing.Layer) error { _, err := l.Info(ctx, "ns/zz"); return err },
			"kv.info", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/zz"), tracing.KeyExists.Bool(false)}},
		{func(l *tracing.Layer) error { return l.Move(ctx, "ns/b", "ns/d") },
			"kv.move", "", []attribute.KeyValue{scheme, tracing.KeyFrom.String("ns/b"), tracing.KeyTo.String("ns/d")}},
		{func(l *tracing.Layer) error { return l.Delete(ctx, "ns/zz") },
			"kv.delete", "not_found", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/zz")}},
		{func(l *tracing.Layer) error { _, err := l.Hash(ctx, "ns/a", ""); return err },
			"kv.hash", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/a"), tracing.KeyAlgorithm.String("sha256")}},
		{func(l *tracing.Layer) error {
			_, err := l.Defrag(ctx, []kv.Block{{Name: "ns/a", Offset: 2, Size: 3}}, kv.TargetHash("md5"))
			return err
		}, "kv.defrag", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/" + md5Of("234")),
			tracing.KeyOptions.StringSlice([]string{"target-hash"}), tracing.KeyBlocks.Int(1),
			tracing.KeyBytes.Int(3), tracing.KeyAlgorithm.String("md5")}},
		{func(l *tracing.Layer) error { return l.Mkdir(ctx, "dir") },
			"kv.mkdir", "", []attribute.KeyValue{scheme, tracing.KeyName.String("dir")}},
		{func(l *tracing.Layer) error { return l.Rmdir(ctx, "nodir") },
			"kv.rmdir", "not_found", []attribute.KeyValue{scheme, tracing.KeyName.String("nodir")}},
		{func(l *tracing.Layer) error { return l.Open(ctx) },
			"kv.open", "already_open", []attribute.KeyValue{scheme}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp, sr := recorded()
			l := openStore(t, tp)
			tc.call(l)
			ended := sr.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans ended, want 1", len(ended))
			}
			checkSpan(t, ended[0], tc.name, tc.errType, tc.attrs)
		})
	}
}

func TestQuotaSpan(t *testing.T) {
	tp, sr := recorded()
	l := openStore(t, tp)
	want, err := l.Unwrap().Quota(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Quota(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkSpan(t, sr.Ended()[0], "kv.quota", "", []attribute.KeyValue{tracing.KeyScheme.String("mem"),
		tracing.KeyQuotaLimit.Int64(want.Limit), tracing.KeyQuotaUsage.Int64(want.Usage)})
}

func TestListSpan(t *testing.T) {
	ctx := context.Background()
	tp, sr := recorded()
	l := openStore(t, tp)
	base := []attribute.KeyValue{tracing.KeyScheme.String("mem"), tracing.KeyName.String("ns")}

	// Never ranged: no span.
	seq := l.List(ctx, "ns")
	if n := len(sr.Started()); n != 0 {
		t.Fatalf("%d spans started before the iteration", n)
	}

	// Ranged to the end: the span ends with the iteration.
	for range seq {
		if n := len(sr.Ended()); n != 0 {
			t.Fatal("span ended during the iteration")
		}
	}
	checkSpan(t, sr.Ended()[0], "kv.list", "", append(base, tracing.KeyItems.Int(2)))

	// Abandoned after one item.
	sr.Reset()
	for range seq {
		break
	}
	checkSpan(t, sr.Ended()[0], "kv.list", "",
		append(base, tracing.KeyItems.Int(1), tracing.KeyAbandoned.Bool(true)))

	// A missing directory: the error is on the span.
	sr.Reset()
	for range l.List(ctx, "nope", kv.Deleted()) {
	}
	checkSpan(t, sr.Ended()[0], "kv.list", "unsupported", []attribute.KeyValue{tracing.KeyScheme.String("mem"),
		tracing.KeyName.String("nope"), tracing.KeyOptions.StringSlice([]string{"deleted"}), tracing.KeyItems.Int(0)})
}

// TestParent checks that the layer's span is a child of the caller's and
// is in the context handed down (a second tracing layer below nests).
func TestParent(t *testing.T) {
	ctx := context.Background()
	tp, sr := recorded()
	inner := openStore(t, tp)
	outer := tracing.New(inner, tracing.WithTracerProvider(tp))
	ctx, parent := tp.Tracer("test").Start(ctx, "parent")
	if _, err := outer.Load(ctx, "ns/a"); err != nil {
		t.Fatal(err)
	}
	parent.End()
	ended := sr.Ended() // inner, outer, parent
	if len(ended) != 3 {
		t.Fatalf("%d spans", len(ended))
	}
	if ended[0].Parent().SpanID() != ended[1].SpanContext().SpanID() ||
		ended[1].Parent().SpanID() != ended[2].SpanContext().SpanID() {
		t.Errorf("spans not nested: %v", ended)
	}
}

// TestGlobalProviderSetLater checks that a layer made without a provider
// uses the global one set after New.
func TestGlobalProviderSetLater(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	otel.SetTracerProvider(noop.NewTracerProvider())
	l := tracing.New(memory.New("global"))
	tp, sr := recorded()
	otel.SetTracerProvider(tp)
	l.Open(context.Background())
	if len(sr.Ended()) != 1 {
		t.Fatalf("%d spans, want 1", len(sr.Ended()))
	}
}

// TestNoopAllocations checks that the layer adds no allocation to a Load
// with the no-op provider.
func TestNoopAllocations(t *testing.T) {
	ctx := context.Background()
	l := openStore(t, noop.NewTracerProvider())
	below := l.Unwrap()
	load := func(b kv.Backend) func() {
		return func() {
			if _, err := b.Load(ctx, "ns/a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if layer, driver := testing.AllocsPerRun(100, load(l)), testing.AllocsPerRun(100, load(below)); layer != driver {
		t.Errorf("%v allocations per Load, the driver alone %v", layer, driver)
	}
}

func ExampleNew() {
	ctx := context.Background()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	store := tracing.New(memory.New("example-tracing"), tracing.WithTracerProvider(tp))
	store.Create(ctx)
	store.Open(ctx)
	store.Store(ctx, "data/0123", []byte("hello"))
	store.Load(ctx, "data/0123", kv.Range(1, 3))
	store.Load(ctx, "data/4567")
	store.Close(ctx)
	store.Destroy(ctx)
	for _, s := range sr.Ended() {
		fmt.Printf("%-10s %-5s", s.Name(), s.Status().Code)
		for _, a := range s.Attributes() {
			if a.Key != tracing.KeyScheme {
				fmt.Printf(" %s=%s", a.Key, a.Value.Emit())
			}
		}
		fmt.Println()
	}
	// Output:
	// kv.create  Unset
	// kv.open    Unset
	// kv.store   Unset kv.name=data/0123 kv.bytes=5
	// kv.load    Unset kv.name=data/0123 kv.options=["range"] kv.range.offset=1 kv.range.size=3 kv.bytes=3
	// kv.load    Error kv.name=data/4567 kv.bytes=0 error.type=not_found
	// kv.close   Unset
	// kv.destroy Unset
}
