package compose_test

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/throttle"
)

// BenchmarkNestedList lists a nested namespace of a posixfs store made by
// Create, through the default stack with 10 ms of emulated latency per
// backend call (the throttle layer), as over a slow link: level 1 with 1,000
// items and level 2 with 300 items, at the default concurrency and one
// directory at a time (what List did before it walked concurrently). It
// reports the seconds per listing, the backend List calls, and the peak
// heap in use while listing. Run it with -benchtime=1x.
func BenchmarkNestedList(b *testing.B) {
	for _, tc := range []struct {
		level, items int
	}{{1, 1000}, {2, 300}} {
		for _, conc := range []int{nesting.DefaultConcurrency, 1} {
			if tc.level > 1 && conc == 1 {
				continue
			}
			b.Run(fmt.Sprintf("level=%d/items=%d/concurrency=%d", tc.level, tc.items, conc), func(b *testing.B) {
				benchList(b, tc.level, tc.items, conc)
			})
		}
	}
}

func benchList(b *testing.B, level, items, conc int) {
	ctx := b.Context()
	url := "file://" + filepath.Join(b.TempDir(), "store")
	levels := map[string][]int{"data/": {level}}
	var lists atomic.Int64
	count := func(next kv.Backend) kv.Backend { return &listCounter{Backend: next, n: &lists} }
	setup, err := compose.Open(url, compose.WithLevels(levels), compose.WithoutThrottle())
	if err != nil {
		b.Fatal(err)
	}
	kvMust(b, setup.Create(ctx))
	kvMust(b, setup.Open(ctx))
	for i := range items {
		key := fmt.Sprintf("%08x%056x", uint32(i)*2654435761, i)
		kvMust(b, setup.Store(ctx, "data/"+key, []byte("v")))
	}
	kvMust(b, setup.Close(ctx))
	s, err := compose.Open(url, compose.WithLevels(levels),
		compose.WithNestingOptions(nesting.WithConcurrency(conc)),
		compose.WithThrottle(throttle.Config{Latency: 10 * time.Millisecond}),
		compose.WithLayer(compose.AboveDriver, count))
	if err != nil {
		b.Fatal(err)
	}
	kvMust(b, s.Open(ctx))
	defer s.Close(ctx)
	for b.Loop() {
		lists.Store(0)
		peak := watchHeap()
		start := time.Now()
		n := 0
		for _, err := range s.List(ctx, "data") {
			kvMust(b, err)
			n++
		}
		took := time.Since(start)
		heap := peak()
		if n != items {
			b.Fatalf("listed %d items, want %d", n, items)
		}
		b.ReportMetric(took.Seconds(), "s/list")
		b.ReportMetric(float64(lists.Load()), "lists")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	}
}

// watchHeap samples the heap in use every millisecond until the returned
// function is called, which returns the largest sample.
func watchHeap() func() uint64 {
	runtime.GC()
	var (
		peak uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak
	}
}

// listCounter counts the List calls that reach the backend below it.
type listCounter struct {
	kv.Backend
	n *atomic.Int64
}

func (c *listCounter) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	c.n.Add(1)
	return c.Backend.List(ctx, name, opts...)
}

func (c *listCounter) Unwrap() kv.Backend { return c.Backend }

func kvMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
