package rest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// benchStores are the ways the benchmarks compare: posixfs alone (the
// floor), through the server over HTTP with keep-alive, and through
// `kvcompose serve --stdio`.
var benchStores = []kvtest.Bench{
	{Name: "posixfs", New: func(b *testing.B) kv.Backend {
		d, err := posixfs.New(filepath.Join(b.TempDir(), "store"))
		if err != nil {
			b.Fatal(err)
		}
		return d
	}},
	{Name: "http", New: func(b *testing.B) kv.Backend { return startServer(b, false).client(b) }},
	{Name: "stdio", New: func(b *testing.B) kv.Backend { return stdioClient(b) }},
}

// parallel runs b.N calls of op from workers goroutines, each with its
// own item, and reports calls per second.
func parallel(b *testing.B, workers int, op func(ctx context.Context, name string) error) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range workers {
		name := fmt.Sprintf("data/%02x", w)
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(ctx, name); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkStore4K stores 4 KiB items from 1 and 16 goroutines.
func BenchmarkStore4K(b *testing.B) {
	value := make([]byte, 4096)
	for _, st := range benchStores {
		for _, workers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%d", st.Name, workers), func(b *testing.B) {
				s := kvtest.OpenStore(b, st.New(b))
				b.SetBytes(int64(len(value)))
				parallel(b, workers, func(ctx context.Context, name string) error { return s.Store(ctx, name, value) })
			})
		}
	}
}

// BenchmarkLoad4K loads 4 KiB items from 1 and 16 goroutines.
func BenchmarkLoad4K(b *testing.B) {
	value := make([]byte, 4096)
	for _, st := range benchStores {
		for _, workers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%d", st.Name, workers), func(b *testing.B) {
				s := kvtest.OpenStore(b, st.New(b))
				for w := range workers {
					if err := s.Store(context.Background(), fmt.Sprintf("data/%02x", w), value); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(int64(len(value)))
				parallel(b, workers, func(ctx context.Context, name string) error {
					_, err := s.Load(ctx, name)
					return err
				})
			})
		}
	}
}
