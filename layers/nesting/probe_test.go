package nesting

import (
	"context"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
)

// probe wraps a Backend for tests: it counts calls per operation, records
// the Mkdir names, measures the most Mkdir calls in flight, can add a
// latency to every call, and claims to benefit from pre-creation when
// precreate is set.
type probe struct {
	kv.Backend
	precreate bool
	remote    bool
	latency   time.Duration
	listGate  int64  // List calls below a namespace wait until this many are in flight (once)
	failList  string // List of this directory fails

	listInflight, maxListInflight atomic.Int64
	listGateOnce                  sync.Once
	listFull                      chan struct{}
	gate                          int64 // Mkdir calls wait until this many are in flight (once)

	mu     sync.Mutex
	calls  map[string]int
	mkdirs []string

	inflight, maxInflight atomic.Int64
	gateOnce              sync.Once
	full                  chan struct{}
}

func newProbe(next kv.Backend) *probe {
	return &probe{Backend: next, calls: map[string]int{}, full: make(chan struct{}), listFull: make(chan struct{})}
}

func (p *probe) Unwrap() kv.Backend { return p.Backend }

// Properties are those of the driver below, with pre-creation as set.
func (p *probe) Properties() kv.Properties {
	pr := kv.PropertiesOf(p.Backend)
	pr.Precreate, pr.Remote = p.precreate, p.remote
	return pr
}

func (p *probe) count(op string) {
	p.mu.Lock()
	p.calls[op]++
	p.mu.Unlock()
}

func (p *probe) callCount(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *probe) reset() {
	p.mu.Lock()
	clear(p.calls)
	p.mu.Unlock()
}

func (p *probe) wait(ctx context.Context) error {
	if p.latency == 0 {
		return nil
	}
	t := time.NewTimer(p.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *probe) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	p.count("info")
	if err := p.wait(ctx); err != nil {
		return kv.ItemInfo{}, err
	}
	return p.Backend.Info(ctx, name, opts...)
}

func (p *probe) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	p.count("move")
	return p.Backend.Move(ctx, from, to, opts...)
}

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
		p.count("list")
		if strings.Contains(name, "/") {
			gate(n, p.listGate, &p.listGateOnce, p.listFull)
		}
		if err := p.wait(ctx); err != nil {
			yield(kv.ItemInfo{}, err)
			return
		}
		if name == p.failList {
			yield(kv.ItemInfo{}, kv.NewError("list", name, kv.ErrConnection, nil))
			return
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
	p.calls["mkdir"]++
	p.mkdirs = append(p.mkdirs, name)
	p.mu.Unlock()
	if err := p.wait(ctx); err != nil {
		return err
	}
	return p.Backend.Mkdir(ctx, name)
}
