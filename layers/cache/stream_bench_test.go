package cache_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
)

// BenchmarkStream measures streams of 64 MiB through the layer over a
// posixfs primary and a posixfs cache: a LoadStream that misses and tees
// into the cache (the copy invalidated before each), one that hits, and a
// StoreStream that tees. B/op is what one stream allocates, layer and
// drivers together: the layer's part is a pipe and a few structs, whatever
// the size.
//
//	go test -run - -bench Stream -benchtime 5x ./layers/cache/
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	ctx := context.Background()
	value := make([]byte, size)
	open := func(b *testing.B) *cache.Layer {
		primary, err := posixfs.New(filepath.Join(b.TempDir(), "primary"))
		if err != nil {
			b.Fatal(err)
		}
		local, err := posixfs.New(filepath.Join(b.TempDir(), "cache"))
		if err != nil {
			b.Fatal(err)
		}
		l := kvtest.OpenStore(b, cache.New(primary, local, map[string]cache.Policy{"data/": {Mode: cache.WriteThrough}}))
		if err := l.StoreStream(ctx, kvtest.BenchKey, bytes.NewReader(value), size); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(size)
		return l
	}
	read := func(b *testing.B, l kv.Backend) {
		r, err := l.LoadStream(ctx, kvtest.BenchKey)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != size {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		r.Close()
	}
	b.Run("load-miss", func(b *testing.B) {
		l := open(b)
		for b.Loop() {
			if err := l.Invalidate(ctx, kvtest.BenchKey); err != nil {
				b.Fatal(err)
			}
			read(b, l)
		}
	})
	b.Run("load-hit", func(b *testing.B) {
		l := open(b)
		for b.Loop() {
			read(b, l)
		}
	})
	b.Run("store", func(b *testing.B) {
		l := open(b)
		for b.Loop() {
			if err := l.StoreStream(ctx, kvtest.BenchKey, bytes.NewReader(value), size); err != nil {
				b.Fatal(err)
			}
		}
	})
}
