package tracing_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/tracing"
)

// TestStreamSpanEndsWithTheStream checks that the span of a LoadStream is
// still open when LoadStream returns and while the stream is read, and
// ends when the stream does: at Close, at its end, or at a Read error,
// with the bytes read (thanos' objstore ended it when the call returned).
func TestStreamSpanEndsWithTheStream(t *testing.T) {
	ctx := context.Background()
	scheme := tracing.KeyScheme.String("mem")
	stream := tracing.KeyStream.Bool(true)
	t.Run("close", func(t *testing.T) {
		tp, sr := recorded()
		l := openStore(t, tp)
		r, err := l.LoadStream(ctx, "ns/a", kv.Range(1, -1))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(sr.Ended()); n != 0 || len(sr.Started()) != 1 {
			t.Fatalf("after LoadStream returned: %d spans started, %d ended; want 1, 0", len(sr.Started()), n)
		}
		p := make([]byte, 3)
		if _, err := io.ReadFull(r, p); err != nil {
			t.Fatal(err)
		}
		if n := len(sr.Ended()); n != 0 {
			t.Fatalf("after a Read: %d spans ended, want 0", n)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		ended := sr.Ended()
		if len(ended) != 1 {
			t.Fatalf("after Close: %d spans ended, want 1", len(ended))
		}
		checkSpan(t, ended[0], "kv.load", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/a"),
			tracing.KeyOptions.StringSlice([]string{"range"}), tracing.KeyRangeOffset.Int(1),
			tracing.KeyRangeSize.Int(-1), stream, tracing.KeyBytes.Int(3)})
	})
	t.Run("end", func(t *testing.T) {
		tp, sr := recorded()
		l := openStore(t, tp)
		r, err := l.LoadStream(ctx, "ns/a")
		if err != nil {
			t.Fatal(err)
		}
		if v, err := io.ReadAll(r); err != nil || string(v) != "0123456789" {
			t.Fatalf("read: %q, %v", v, err)
		}
		ended := sr.Ended()
		if len(ended) != 1 {
			t.Fatalf("at the end of the stream: %d spans ended, want 1", len(ended))
		}
		checkSpan(t, ended[0], "kv.load", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/a"),
			stream, tracing.KeyBytes.Int(10)})
		r.Close()
		if n := len(sr.Ended()); n != 1 {
			t.Errorf("after Close: %d spans ended, want still 1", n)
		}
	})
	t.Run("read-error", func(t *testing.T) {
		tp, sr := recorded()
		drv := kvtest.Fill(t, kvtest.OpenStore(t, memory.New("")), map[string]string{"ns/a": "0123456789"})
		l := tracing.New(faults.New(drv, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection,
			Mode: faults.CutShort, CutAfter: 4}), tracing.WithTracerProvider(tp))
		r, err := l.LoadStream(ctx, "ns/a")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if v, err := io.ReadAll(r); err == nil || string(v) != "0123" {
			t.Fatalf("read: %q, %v; want 4 bytes and an error", v, err)
		}
		ended := sr.Ended()
		if len(ended) != 1 {
			t.Fatalf("after a Read error: %d spans ended, want 1", len(ended))
		}
		checkSpan(t, ended[0], "kv.load", "connection", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/a"),
			stream, tracing.KeyBytes.Int(4)})
	})
	t.Run("missing", func(t *testing.T) {
		tp, sr := recorded()
		l := openStore(t, tp)
		if r, err := l.LoadStream(ctx, "ns/zz"); err == nil {
			r.Close()
			t.Fatal("load stream of a missing item succeeded")
		}
		ended := sr.Ended()
		if len(ended) != 1 {
			t.Fatalf("%d spans ended, want 1", len(ended))
		}
		checkSpan(t, ended[0], "kv.load", "not_found", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/zz"),
			stream, tracing.KeyBytes.Int(0)})
	})
	t.Run("store", func(t *testing.T) {
		tp, sr := recorded()
		l := openStore(t, tp)
		if err := l.StoreStream(ctx, "ns/c", strings.NewReader("hello"), -1); err != nil {
			t.Fatal(err)
		}
		ended := sr.Ended()
		if len(ended) != 1 {
			t.Fatalf("%d spans ended, want 1", len(ended))
		}
		checkSpan(t, ended[0], "kv.store", "", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/c"),
			stream, tracing.KeyBytes.Int(5)})
		err := l.StoreStream(ctx, "ns/c", strings.NewReader("hello"), 4)
		ended = sr.Ended()
		if err == nil || len(ended) != 2 {
			t.Fatalf("store stream with a size that lies: %v, %d spans ended", err, len(ended))
		}
		checkSpan(t, ended[1], "kv.store", "size_mismatch", []attribute.KeyValue{scheme, tracing.KeyName.String("ns/c"),
			stream, tracing.KeyBytes.Int(5)})
	})
}
