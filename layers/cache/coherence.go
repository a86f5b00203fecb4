package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// numStripes is the number of stripes the names are spread over.
const numStripes = 1024

// stripe orders the cache updates of the names that hash to it. gen counts
// the writes (store, delete, move, defrag, invalidate) that started or
// ended, inflight those under way. The cache copy of a name is only
// written while the stripe's mu is held, and only when no other write of
// the stripe started or ended meanwhile, so that the cache never keeps a
// value the primary no longer holds because of a race with a write made
// through this layer.
type stripe struct {
	mu       sync.Mutex
	gen      uint64
	inflight int
	_        [40]byte // a cache line of its own
}

// stripes are the stripes of a Layer.
type stripes struct {
	seed    maphash.Seed // set by New
	stripes [numStripes]stripe
}

// index returns the number of name's stripe.
func (s *stripes) index(name string) int { return int(maphash.String(s.seed, name) % numStripes) }

// of returns the stripe of name.
func (s *stripes) of(name string) *stripe { return &s.stripes[s.index(name)] }

// ticket is a write under way in one or two stripes.
type ticket struct {
	a, b   int // stripe numbers, a < b; b is -1 for one stripe
	ga, gb uint64
}

// beginWrite records a write of the names (one or two) that is about to
// reach the primary.
func (s *stripes) beginWrite(names ...string) ticket {
	t := ticket{a: s.index(names[0]), b: -1}
	if len(names) > 1 {
		switch b := s.index(names[1]); {
		case b > t.a:
			t.b = b
		case b < t.a:
			t.a, t.b = b, t.a
		}
	}
	t.ga = s.stripes[t.a].begin()
	if t.b >= 0 {
		t.gb = s.stripes[t.b].begin()
	}
	return t
}

func (st *stripe) begin() uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.gen++
	st.inflight++
	return st.gen
}

// endWrite ends the write of t and runs update with its stripes locked (in
// the order of their numbers). alone is true when no other write of these
// stripes started or ended while t was under way: then update may put the
// new value into the cache; otherwise it must only drop cached copies.
func (s *stripes) endWrite(t ticket, update func(alone bool)) {
	a := &s.stripes[t.a]
	a.mu.Lock()
	defer a.mu.Unlock()
	alone := a.end(t.ga)
	if t.b >= 0 {
		b := &s.stripes[t.b]
		b.mu.Lock()
		defer b.mu.Unlock()
		alone = b.end(t.gb) && alone
	}
	update(alone)
}

// end records the end of a write that began at gen g; st.mu is held.
func (st *stripe) end(g uint64) bool {
	st.inflight--
	alone := st.gen == g && st.inflight == 0
	st.gen++
	return alone
}

// beginRead returns the generation of name's stripe before a read from the
// primary that may fill the cache, and false when a write is under way
// (then the read must not fill the cache).
func (s *stripes) beginRead(name string) (uint64, bool) {
	st := s.of(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.gen, st.inflight == 0
}

// endRead runs fill with name's stripe locked if no write of the stripe
// started since beginRead returned g.
func (s *stripes) endRead(name string, g uint64, fill func()) {
	st := s.of(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen == g {
		fill()
	}
}

// locked runs f with name's stripe locked.
func (s *stripes) locked(name string, f func()) {
	st := s.of(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	f()
}

// counters are the atomic counters behind Stats.
type counters struct {
	hits, misses, errors, corrupt, evictions atomic.Int64
	servedBytes, writtenBytes                atomic.Int64
}

// Stats are the counters of a Layer, as Layer.Stats returns them.
type Stats struct {
	// Hits and Misses count the loads of WriteThrough namespaces served
	// from the cache and not found there. Mirror namespaces count neither:
	// their loads always go to the primary.
	Hits, Misses int64
	// Errors counts failures of the cache store, which the layer ignored.
	Errors int64
	// Corrupt counts cached values that failed Verify and were dropped.
	Corrupt int64
	// Evictions counts items removed by MaxAge and MaxSize.
	Evictions int64
	// ServedBytes counts the bytes served from the cache, WrittenBytes
	// those put into it.
	ServedBytes, WrittenBytes int64
	// Items and Size are the items the index knows in the cache and their
	// total size in bytes.
	Items, Size int64
}

// Stats returns a snapshot of the counters. Each is read atomically; calls
// that end meanwhile may show in some counters and not yet in others.
func (l *Layer) Stats() Stats {
	s := Stats{
		Hits:         l.hits.Load(),
		Misses:       l.misses.Load(),
		Errors:       l.errors.Load(),
		Corrupt:      l.corrupt.Load(),
		Evictions:    l.evictions.Load(),
		ServedBytes:  l.servedBytes.Load(),
		WrittenBytes: l.writtenBytes.Load(),
	}
	for _, sp := range l.spaces {
		n, size := sp.usage()
		s.Items += int64(n)
		s.Size += size
	}
	return s
}
