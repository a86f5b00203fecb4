package quota

import "sync"

// stripes serializes the calls on one name, so that the size an overwrite
// replaces is the size it read: a name maps to one of a fixed set of
// mutexes, and calls on names of different stripes run in parallel.
type stripes [nStripes]sync.Mutex

// nStripes is the number of mutexes of stripes.
const nStripes = 256

// stripe returns the index of the mutex of name (FNV-1a).
func stripe(name string) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int(h % nStripes)
}

// lock locks the stripe of name and returns its index for unlock.
func (s *stripes) lock(name string) int {
	i := stripe(name)
	s[i].Lock()
	return i
}

// lock2 locks the stripes of two names, in index order (one lock when
// they share it), and returns their indexes for unlock2.
func (s *stripes) lock2(a, b string) (int, int) {
	i, j := stripe(a), stripe(b)
	if i > j {
		i, j = j, i
	}
	s[i].Lock()
	if j != i {
		s[j].Lock()
	}
	return i, j
}

// unlock2 unlocks what lock2 locked.
func (s *stripes) unlock2(i, j int) {
	if j != i {
		s[j].Unlock()
	}
	s[i].Unlock()
}
