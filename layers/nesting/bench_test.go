package nesting

import (
	"fmt"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
)

// level2 is the nesting layer at level 2 over a private memory store.
func level2(b *testing.B) kv.Backend {
	l, err := New(memory.New(""), map[string][]int{"data/": {2}})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// levels12 is the nesting layer at levels {1, 2} (a migration) over a
// private memory store: each call probes level 1, then level 2, holding
// the key's stripe lock.
func levels12(b *testing.B) kv.Backend {
	l, err := New(memory.New(""), map[string][]int{"data/": {1, 2}})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "nesting", New: level2},
	{Name: "nesting-levels-1-2", New: levels12},
}

// BenchmarkLoad4KiB compares loads through the nesting layer (level 2, and
// levels {1, 2}) with loads from the memory driver alone.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB compares stores through the nesting layer (level 2, and
// levels {1, 2}) with stores to the memory driver alone.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }

// BenchmarkCreateLevel2Latency10ms measures Create with "data/": [2] (65,536
// pre-created directories) over the memory driver with 10 ms added to every
// call, as over a slow link. Sequentially it would take 11 minutes. Run it
// with -benchtime=1x.
func BenchmarkCreateLevel2Latency10ms(b *testing.B) {
	for _, c := range []int{DefaultConcurrency, 256} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			for b.Loop() {
				p := newProbe(memory.New(""), faults.Rule{Ops: []kv.Op{kv.OpInfo, kv.OpList, kv.OpMkdir}, Latency: 10 * time.Millisecond})
				p.precreate = true
				l, err := New(p, map[string][]int{"data/": {2}}, WithConcurrency(c))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := l.Create(b.Context()); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/create")
				b.ReportMetric(float64(len(p.mkdirs)), "mkdirs")
				_ = l.Destroy(b.Context())
			}
		})
	}
}
