package throttle_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/throttle"
)

// benchStore returns an open memory store, wrapped by wrap, holding
// "data/item" of size bytes.
func benchStore(b *testing.B, size int, wrap func(kv.Backend) kv.Backend) kv.Backend {
	ctx := context.Background()
	drv := kvtest.OpenStore(b, memory.New(""))
	if err := drv.Store(ctx, "data/item", make([]byte, size)); err != nil {
		b.Fatal(err)
	}
	return wrap(drv)
}

// overheadStacks compare the memory driver alone with the throttle layer
// configured to emulate nothing, and with an unreachable bandwidth (which
// takes the limiter on every call).
var overheadStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "throttle-off", New: func(*testing.B) kv.Backend { return throttle.New(memory.New(""), throttle.Config{}) }},
	{Name: "throttle-1Tbit", New: func(*testing.B) kv.Backend {
		return throttle.New(memory.New(""), throttle.Config{Bandwidth: 1e12})
	}},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, overheadStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, overheadStacks...) }

// BenchmarkAccuracy makes 20 loads of 1 MiB over an emulated 10 ms /
// 16 Mbit/s link, from one goroutine and from 8 sharing the link, and
// reports the measured time, the emulated time and their ratio. Emulated:
// alone, 20 × (10 ms + 8 MiB·8/16e6 s) = 10.69 s; shared, the link carries
// the 20 MiB back to back after the first request's latency:
// 10 ms + 20 MiB·8/16e6 s = 10.50 s. Each run takes about 11 seconds.
func BenchmarkAccuracy(b *testing.B) {
	const (
		loads     = 20
		size      = 1 << 20
		latency   = 10 * time.Millisecond
		bandwidth = 16e6
	)
	transfer := time.Duration(float64(size*8) / bandwidth * float64(time.Second))
	for _, tc := range []struct {
		name       string
		goroutines int
		emulated   time.Duration
	}{
		{"alone", 1, loads * (latency + transfer)},
		{"8-goroutines", 8, latency + loads*transfer},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			drv := benchStore(b, size, func(b kv.Backend) kv.Backend { return b })
			var measured time.Duration
			runs := 0
			for b.Loop() {
				l := throttle.New(drv, throttle.Config{Latency: latency, Bandwidth: bandwidth})
				work := make(chan struct{}, loads)
				for range loads {
					work <- struct{}{}
				}
				close(work)
				start := time.Now()
				var wg sync.WaitGroup
				for range tc.goroutines {
					wg.Go(func() {
						for range work {
							if _, err := l.Load(ctx, "data/item"); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				measured += time.Since(start)
				runs++
			}
			perRun := measured / time.Duration(runs)
			b.ReportMetric(perRun.Seconds(), "s/run")
			b.ReportMetric(tc.emulated.Seconds(), "emulated-s/run")
			b.ReportMetric(perRun.Seconds()/tc.emulated.Seconds(), "ratio")
		})
	}
}

// BenchmarkStreamPacing streams 1 MiB each way over an emulated 10 ms /
// 16 Mbit/s link and reports the measured time of one stream, the
// emulated one, 10 ms + 8 MiB·8/16e6 s = 0.534 s (a stream of N bytes at
// B bytes/s takes the latency plus N/B), and their ratio. The LoadStream
// is read in 32 KiB pieces, as io.Copy does, each paced as it comes.
func BenchmarkStreamPacing(b *testing.B) {
	const (
		size      = 1 << 20
		latency   = 10 * time.Millisecond
		bandwidth = 16e6
	)
	emulated := latency + time.Duration(float64(size*8)/bandwidth*float64(time.Second))
	for _, dir := range []string{"load", "store"} {
		b.Run(dir, func(b *testing.B) {
			ctx := context.Background()
			drv := benchStore(b, size, func(b kv.Backend) kv.Backend { return b })
			value := make([]byte, size)
			var measured time.Duration
			runs := 0
			for b.Loop() {
				l := throttle.New(drv, throttle.Config{Latency: latency, Bandwidth: bandwidth})
				start := time.Now()
				var err error
				if dir == "load" {
					var rc io.ReadCloser
					if rc, err = l.LoadStream(ctx, "data/item"); err == nil {
						var n int64
						n, err = io.Copy(io.Discard, rc)
						rc.Close()
						if n != size {
							b.Fatalf("read %d bytes", n)
						}
					}
				} else {
					err = l.StoreStream(ctx, "data/item", bytes.NewReader(value), size)
				}
				if err != nil {
					b.Fatal(err)
				}
				measured += time.Since(start)
				runs++
			}
			perRun := measured / time.Duration(runs)
			b.ReportMetric(perRun.Seconds(), "s/stream")
			b.ReportMetric(emulated.Seconds(), "emulated-s/stream")
			b.ReportMetric(perRun.Seconds()/emulated.Seconds(), "ratio")
		})
	}
}
