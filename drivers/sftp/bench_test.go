package sftp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/kvcompose/compose/kv/kvtest"
)

// BenchmarkSmall measures 4 KiB Store and Delete, and 4 KiB and 1 MiB
// Load, one call at a time, on the test sshd over loopback:
//
//	go test -run '^$' -bench Small -benchtime 2000x ./drivers/sftp/
func BenchmarkSmall(b *testing.B) {
	d := newDriver(b)
	ctx := context.Background()
	if err := d.Create(ctx); err != nil {
		b.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	if err := d.Mkdir(ctx, "data"); err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 4096)
	name := func(i int) string { return fmt.Sprintf("data/%08x", i) }
	b.Run("Store", func(b *testing.B) {
		for i := range b.N {
			if err := d.Store(ctx, name(i), value); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("Load%dKiB", size>>10), func(b *testing.B) {
			big := bytes.Repeat([]byte("L"), size)
			if err := d.Store(ctx, "data/load", big); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if v, err := d.Load(ctx, "data/load"); err != nil || len(v) != size {
					b.Fatal(len(v), err)
				}
			}
		})
	}
	b.Run("Delete", func(b *testing.B) {
		b.StopTimer()
		for i := range b.N {
			if err := d.Store(ctx, name(i), value); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for i := range b.N {
			if err := d.Delete(ctx, name(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStream measures StoreStream and LoadStream of 64 MiB, one at a
// time, on the test sshd over loopback, and Store and Load of the same
// value for comparison; B/op shows that a stream's memory does not grow
// with the value (the source gives the bytes without holding them):
//
//	go test -run '^$' -bench Stream -benchtime 3x ./drivers/sftp/
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	d := newDriver(b)
	kvtest.OpenStore(b, d)
	ctx := b.Context()
	b.Run("StoreStream", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if err := d.StoreStream(ctx, "data/stream", io.LimitReader(pattern{}, size), size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadStream", func(b *testing.B) {
		if err := d.StoreStream(ctx, "data/stream", io.LimitReader(pattern{}, size), size); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			r, err := d.LoadStream(ctx, "data/stream")
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != size {
				b.Fatal(n, err)
			}
			r.Close()
		}
	})
	value := bytes.Repeat([]byte("v"), size)
	b.Run("Store", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if err := d.Store(ctx, "data/value", value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Load", func(b *testing.B) {
		if err := d.Store(ctx, "data/value", value); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if v, err := d.Load(ctx, "data/value"); err != nil || len(v) != size {
				b.Fatal(len(v), err)
			}
		}
	})
}

// pattern is an endless source of bytes that holds none of them.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}
