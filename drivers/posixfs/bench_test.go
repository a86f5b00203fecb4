package posixfs_test

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// benchDriver is the driver over a fresh store, fsync off.
var benchDriver = []kvtest.Bench{{Name: "posixfs", New: func(b *testing.B) kv.Backend {
	d, err := posixfs.New(filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	return d
}}}

// BenchmarkLoad4KiB is the fast path of small values: a Load of 4 KiB
// (one openat and one read into a buffer of the value's size).
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchDriver...) }

// BenchmarkStore4KiB is the fast path of small values: a Store of 4 KiB
// (a temporary file, one write, a rename).
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchDriver...) }

// sink takes what it is given, as a plain io.Writer (io.Discard would
// read in pieces of 8 KiB through its ReadFrom).
var sink = struct{ io.Writer }{io.Discard}

// BenchmarkStream stores and loads a large value as a stream, at two
// sizes: the bytes per second, and memory (B/op) that stays the same
// whatever the size.
func BenchmarkStream(b *testing.B) {
	for _, size := range []int{4 << 20, 256 << 20} {
		value := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		b.Run(fmt.Sprintf("StoreStream/%dMiB", size>>20), func(b *testing.B) {
			s := kvtest.OpenStore(b, benchDriver[0].New(b))
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := s.StoreStream(b.Context(), "data/big", bytes.NewReader(value), int64(size)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("LoadStream/%dMiB", size>>20), func(b *testing.B) {
			s := kvtest.OpenStore(b, benchDriver[0].New(b))
			if err := s.Store(b.Context(), "data/big", value); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				r, err := s.LoadStream(b.Context(), "data/big")
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(sink, r)
				if err != nil || n != int64(size) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
				r.Close()
			}
		})
	}
}
