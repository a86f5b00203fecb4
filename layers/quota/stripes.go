package quota

import (
	"slices"
	"sync"
)

// stripes serializes the calls on one name, so that the size an overwrite
// replaces is the size it read. A name maps to one of a fixed set of
// stripes; a stripe's mutex guards only the short list of its names held
// by calls in progress, so calls on other names, even of the same
// stripe, never wait for one another: a StoreStream that holds its name
// while the caller feeds it does not hold up the caller's calls on other
// names.
type stripes [nStripes]stripe

// stripe is one of the stripes: the names of its calls in progress.
type stripe struct {
	mu      sync.Mutex
	cond    sync.Cond // on mu: a name was released
	held    []string
	waiting int // goroutines waiting on cond
}

// nStripes is the number of stripes.
const nStripes = 256

// stripeOf returns the index of the stripe of name (FNV-1a).
func stripeOf(name string) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int(h % nStripes)
}

// lock holds name until unlock, waiting while another call holds it.
func (s *stripes) lock(name string) {
	st := &s[stripeOf(name)]
	st.mu.Lock()
	for slices.Contains(st.held, name) {
		if st.cond.L == nil {
			st.cond.L = &st.mu
		}
		st.waiting++
		st.cond.Wait()
		st.waiting--
	}
	st.held = append(st.held, name)
	st.mu.Unlock()
}

// unlock releases name, held by lock.
func (s *stripes) unlock(name string) {
	st := &s[stripeOf(name)]
	st.mu.Lock()
	if i := slices.Index(st.held, name); i >= 0 {
		last := len(st.held) - 1
		st.held[i] = st.held[last]
		st.held[last] = ""
		st.held = st.held[:last]
	}
	if st.waiting > 0 {
		st.cond.Broadcast()
	}
	st.mu.Unlock()
}

// lock2 holds two different names, in a fixed order (stripe, then name)
// so that two calls that hold the same pair cannot wait for each other.
func (s *stripes) lock2(a, b string) {
	if i, j := stripeOf(a), stripeOf(b); j < i || (j == i && b < a) {
		a, b = b, a
	}
	s.lock(a)
	s.lock(b)
}

// unlock2 releases what lock2 held.
func (s *stripes) unlock2(a, b string) {
	s.unlock(a)
	s.unlock(b)
}
