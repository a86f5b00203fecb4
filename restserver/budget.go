package restserver

import (
	"context"
	"sync"
	"time"
)

// budget is the request-body memory that all requests share: a request
// reserves what its body (or its defrag) will take before it allocates,
// and gives it back when it is answered.
type budget struct {
	mu    sync.Mutex
	limit int64
	used  int64
	freed chan struct{} // closed, and replaced, whenever memory is given back
}

func newBudget(limit int64) *budget { return &budget{limit: limit, freed: make(chan struct{})} }

// acquire reserves n bytes, waiting up to wait for other requests to give
// memory back. It reports false when the wait (or ctx) ended first.
func (b *budget) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	var expired <-chan time.Time
	for {
		b.mu.Lock()
		if n <= b.limit-b.used {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		if expired == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-freed:
		case <-expired:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// release gives n bytes back.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// inUse returns the bytes reserved now.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
