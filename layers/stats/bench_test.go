package stats_test

import (
	"context"
	"io"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/stats"
)

// benchStacks are the memory driver alone and under the stats layer; the
// difference is the layer's cost.
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "stats", New: func(*testing.B) kv.Backend { return stats.New(memory.New("")) }},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }

// BenchmarkLoadStream1MiB measures what the layer adds to a LoadStream of
// 1 MiB read in 32 KiB pieces (io.Copy): one counter addition per piece.
func BenchmarkLoadStream1MiB(b *testing.B) {
	const size = 1 << 20
	for _, s := range benchStacks {
		b.Run(s.Name, func(b *testing.B) {
			ctx := context.Background()
			st := kvtest.OpenStore(b, s.New(b))
			if err := st.Store(ctx, "data/item", make([]byte, size)); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				rc, err := st.LoadStream(ctx, "data/item")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, buf); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}
