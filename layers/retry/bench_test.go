package retry_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/retry"
)

// overheadStacks compare the memory driver alone with the retry layer over
// it (no call fails: the cost of the layer on the way of a success).
var overheadStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "retry", New: func(*testing.B) kv.Backend { return retry.New(memory.New(""), retry.Config{}) }},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, overheadStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, overheadStacks...) }

// BenchmarkOverFaults stores 4 KiB values through the retry layer over a
// faults layer that refuses, or loses the reply of, one call in three with
// kv.ErrConnection, then loads each back and checks it whole. It reports
// the backend calls and the faults per store: 1.5 and 0.5, as every third
// call fails and each failure costs one more call.
func BenchmarkOverFaults(b *testing.B) {
	for _, mode := range []faults.Mode{faults.Refuse, faults.LoseReply} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx := b.Context()
			f := faults.New(memory.New(""), faults.Rule{Ops: []kv.Op{kv.OpStore}, Every: 3, Err: kv.ErrConnection, Mode: mode})
			l := kvtest.OpenStore(b, retry.New(f, fast))
			value := bytes.Repeat([]byte("0123456789abcdef"), 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(value)))
			n := 0
			for b.Loop() {
				if err := l.Store(ctx, fmt.Sprintf("data/%08x", n%1000), value); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.StopTimer()
			for i := range min(n, 1000) {
				got, err := l.Load(ctx, fmt.Sprintf("data/%08x", i))
				if err != nil || !bytes.Equal(got, value) {
					b.Fatalf("load %d: %d bytes, %v; want the whole value", i, len(got), err)
				}
			}
			b.ReportMetric(float64(f.Calls(kv.OpStore))/float64(n), "calls/store")
			b.ReportMetric(float64(f.Injected(kv.OpStore))/float64(n), "faults/store")
		})
	}
}
