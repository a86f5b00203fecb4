package kvtest

import (
	"context"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// Bench is one backend the benchmark helpers compare: Name labels its
// sub-benchmark and New returns a fresh, not yet created backend, as a
// NewFunc does.
type Bench struct {
	Name string
	New  func(b *testing.B) kv.Backend
}

// BenchKey is the item the benchmark helpers load and store: a hex key in
// "data/", so that every nesting level up to 8 applies to it.
const BenchKey = "data/0123456789abcdef"

// BenchLoad runs one sub-benchmark per stack that loads BenchKey holding
// size bytes, reporting bytes/s and allocations. Put the driver alone first:
// the difference to it is what the layers add.
func BenchLoad(b *testing.B, size int, stacks ...Bench) {
	for _, st := range stacks {
		b.Run(st.Name, func(b *testing.B) {
			ctx := context.Background()
			s := OpenStore(b, st.New(b))
			if err := s.Store(ctx, BenchKey, make([]byte, size)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.Load(ctx, BenchKey); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchStore runs one sub-benchmark per stack that overwrites BenchKey with
// size bytes, reporting bytes/s and allocations.
func BenchStore(b *testing.B, size int, stacks ...Bench) {
	for _, st := range stacks {
		b.Run(st.Name, func(b *testing.B) {
			ctx := context.Background()
			s := OpenStore(b, st.New(b))
			value := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := s.Store(ctx, BenchKey, value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
