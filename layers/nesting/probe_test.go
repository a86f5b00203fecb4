package nesting

import (
	"context"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

// probe wraps a Backend for tests: over a faults layer, which counts the
// calls per operation and injects the latencies and failures of its rules,
// it records the Mkdir names, measures the most Mkdir and List calls in
// flight, holds them at a gate, and claims to benefit from pre-creation
// when precreate is set.
type probe struct {
	kv.Backend // the faults layer
	faults     *faults.Layer
	precreate  bool
	remote     bool
	listGate   int64 // List calls below a namespace wait until this many are in flight (once)

	listInflight, maxListInflight atomic.Int64
	listGateOnce                  sync.Once
	listFull                      chan struct{}
	gate                          int64 // Mkdir calls wait until this many are in flight (once)

	mu     sync.Mutex
	mkdirs []string

	inflight, maxInflight atomic.Int64
	gateOnce              sync.Once
	full                  chan struct{}
}

// newProbe returns a probe over a faults layer with rules over next.
func newProbe(next kv.Backend, rules ...faults.Rule) *probe {
	f := faults.New(next, rules...)
	return &probe{Backend: f, faults: f, full: make(chan struct{}), listFull: make(chan struct{})}
}

func (p *probe) Unwrap() kv.Backend { return p.Backend }

// Properties are those of the driver below, with pre-creation as set.
func (p *probe) Properties() kv.Properties {
	pr := kv.PropertiesOf(p.Backend)
	pr.Precreate, pr.Remote = p.precreate, p.remote
	return pr
}

// callCount returns the number of calls of op since the last reset.
func (p *probe) callCount(op kv.Op) int { return int(p.faults.Calls(op)) }

func (p *probe) reset() { p.faults.Reset() }

// enter counts a call in flight and records the most seen at once.
func enter(inflight, most *atomic.Int64) int64 {
	n := inflight.Add(1)
	for {
		m := most.Load()
		if n <= m || most.CompareAndSwap(m, n) {
			return n
		}
	}
}

// gate makes the first calls wait until n are in flight, once. It is a
// deadlock guard, not a timing assertion: a layer that never reaches the
// gate fails the max-in-flight check of its test.
func gate(n, at int64, once *sync.Once, full chan struct{}) {
	if at <= 0 {
		return
	}
	if n >= at {
		once.Do(func() { close(full) })
	}
	select {
	case <-full:
	case <-time.After(10 * time.Second):
	}
}

func (p *probe) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		n := enter(&p.listInflight, &p.maxListInflight)
		defer p.listInflight.Add(-1)
		if strings.Contains(name, "/") {
			gate(n, p.listGate, &p.listGateOnce, p.listFull)
		}
		for it, err := range p.Backend.List(ctx, name, opts...) {
			if !yield(it, err) {
				return
			}
		}
	}
}

func (p *probe) Mkdir(ctx context.Context, name string) error {
	n := enter(&p.inflight, &p.maxInflight)
	defer p.inflight.Add(-1)
	gate(n, p.gate, &p.gateOnce, p.full)
	p.mu.Lock()
	p.mkdirs = append(p.mkdirs, name)
	p.mu.Unlock()
	return p.Backend.Mkdir(ctx, name)
}
