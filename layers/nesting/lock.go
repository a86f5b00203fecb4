package nesting

import (
	"slices"
	"sync"
)

// lockStripes is how many locks the keys of the namespaces with several
// levels share: calls on keys of different stripes never wait for each
// other.
const lockStripes = 1024

// locks serializes, within one Layer, the calls on one key of a namespace
// with several levels: a ChangeLevel, Store, Delete or Move of the key
// holds its stripe alone, from the probe that finds the key's level to the
// call that acts on it; Info, Load and Hash share it. So no call sees the
// item between two levels, and none acts at a level the item has left. A
// namespace with one level takes no lock: its items never move.
type locks [lockStripes]sync.RWMutex

// stripe returns the lock of it, or nil if its namespace has one level.
func (l *Layer) stripe(it item) *sync.RWMutex {
	if len(it.ns.levels) == 1 {
		return nil
	}
	return &l.locks[stripeOf(it.base)]
}

// stripeOf hashes the name of an item less its suffix (FNV-1a), so that an
// item and its soft-deleted version share a stripe.
func stripeOf(base string) int {
	h := uint32(2166136261)
	for i := range len(base) {
		h = (h ^ uint32(base[i])) * 16777619
	}
	return int(h % lockStripes)
}

// lockAll locks the stripes of items for a change, each once and in
// increasing order, so that two calls never wait for each other, and
// returns the function that unlocks them.
func (l *Layer) lockAll(items ...item) func() {
	var idx []int
	for _, it := range items {
		if it.ns != nil && len(it.ns.levels) > 1 {
			idx = append(idx, stripeOf(it.base))
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.locks[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.locks[i].Unlock()
		}
	}
}
