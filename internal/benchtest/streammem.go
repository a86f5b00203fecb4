package benchtest

import (
	"context"
	"io"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// Streams runs the sub-benchmarks of a driver's streams for values of size
// bytes, with allocations reported (B/op is the memory a stream costs,
// to compare with size): "StoreStream" with the size declared,
// "StoreStream-unknown" with size -1, and "LoadStream" of the whole value
// into a fixed buffer. The source makes its bytes as it is read, so that
// the benchmark itself holds no value. after, if set, runs at the end of
// each sub-benchmark, for metrics of the caller's own.
func Streams(b *testing.B, d kv.Backend, size int64, after func(b *testing.B)) {
	ctx := context.Background()
	const name = "data/stream"
	store := func(declared int64) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				if err := d.StoreStream(ctx, name, &Pattern{N: size}, declared); err != nil {
					b.Fatal(err)
				}
			}
			if after != nil {
				after(b)
			}
		}
	}
	b.Run("StoreStream", store(size))
	b.Run("StoreStream-unknown", store(-1))
	b.Run("LoadStream", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		buf := make([]byte, 256<<10)
		for b.Loop() {
			r, err := d.LoadStream(ctx, name)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
			r.Close()
			if err != nil || n != size {
				b.Fatalf("load stream: %d bytes, %v; want %d", n, err, size)
			}
		}
		if after != nil {
			after(b)
		}
	})
}

// Pattern is a reader of N bytes of a repeating pattern, made as they are
// read: a large source that holds no memory.
type Pattern struct {
	N   int64 // bytes left
	off int64
}

// Read fills p with the next bytes of the pattern.
func (p *Pattern) Read(b []byte) (int, error) {
	if p.N <= 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.N)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.N -= int64(len(b))
	p.off += int64(len(b))
	return len(b), nil
}
