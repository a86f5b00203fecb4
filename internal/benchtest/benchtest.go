// Package benchtest measures what a layer itself costs per call, over a
// backend that does no work, for the benchmarks of the layers whose cost
// is smaller than the noise of a real driver's.
package benchtest

import (
	"context"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// Static is a backend whose Load returns Value at once, without a copy;
// every other call goes to the embedded Backend (the caller's driver).
type Static struct {
	kv.Backend
	Value []byte
}

// NewStatic returns a Static over base with a value of size bytes.
func NewStatic(base kv.Backend, size int) Static { return Static{base, make([]byte, size)} }

// Load returns s.Value.
func (s Static) Load(context.Context, string, ...kv.Option) ([]byte, error) { return s.Value, nil }

// Unwrap returns the embedded driver, so that the stack describes itself
// as one over it.
func (s Static) Unwrap() kv.Backend { return s.Backend }

// Overhead runs one sub-benchmark per layer, each wrapping a new Static of
// 4 KiB over base (a driver, for the calls other than Load), that loads
// through it; "none" is the Static alone.
func Overhead(b *testing.B, base kv.Backend, layers map[string]func(kv.Backend) kv.Backend) {
	ctx := context.Background()
	run := func(name string, s kv.Backend) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			CPU(b)
			for b.Loop() {
				if _, err := s.Load(ctx, "data/0123"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("none", NewStatic(base, 4096))
	for name, wrap := range layers {
		run(name, wrap(NewStatic(base, 4096)))
	}
}
