package nesting

import (
	"context"
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
	latency   time.Duration
	gate      int64 // Mkdir calls wait until this many are in flight (once)

	mu     sync.Mutex
	calls  map[string]int
	mkdirs []string

	inflight, maxInflight atomic.Int64
	gateOnce              sync.Once
	full                  chan struct{}
}

func newProbe(next kv.Backend) *probe {
	return &probe{Backend: next, calls: map[string]int{}, full: make(chan struct{})}
}

func (p *probe) Unwrap() kv.Backend { return p.Backend }

// Properties are those of the driver below, with pre-creation as set.
func (p *probe) Properties() kv.Properties {
	pr := kv.PropertiesOf(p.Backend)
	pr.Precreate = p.precreate
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

func (p *probe) Mkdir(ctx context.Context, name string) error {
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	for {
		m := p.maxInflight.Load()
		if n <= m || p.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	if p.gate > 0 {
		if n >= p.gate {
			p.gateOnce.Do(func() { close(p.full) })
		}
		// A deadlock guard, not a timing assertion: a layer that never
		// reaches the gate fails the max-in-flight check.
		select {
		case <-p.full:
		case <-time.After(10 * time.Second):
		}
	}
	p.mu.Lock()
	p.calls["mkdir"]++
	p.mkdirs = append(p.mkdirs, name)
	p.mu.Unlock()
	if err := p.wait(ctx); err != nil {
		return err
	}
	return p.Backend.Mkdir(ctx, name)
}
