package rclone

import (
	"hash/maphash"
	"sync"
)

// nameLocks make, within one Driver, the replacement of an item atomic for
// its readers. rclone (1.60 at least, on remotes with directories) replaces
// an existing item by deleting it and then moving the new file in, so a
// Load or Info between the two would find nothing, and two replacements of
// one item at once fail. Store and Move therefore hold the item's stripe
// for writing while they replace, Load and Info hold it for reading. Other
// processes that read the same remote can still see the gap.
type nameLocks struct {
	seed    maphash.Seed
	stripes [64]sync.RWMutex
}

func newNameLocks() *nameLocks { return &nameLocks{seed: maphash.MakeSeed()} }

func (l *nameLocks) stripe(name string) int {
	return int(maphash.String(l.seed, name) % uint64(len(l.stripes)))
}

// read locks the stripe of name for reading and returns its unlock.
func (l *nameLocks) read(name string) (unlock func()) {
	m := &l.stripes[l.stripe(name)]
	m.RLock()
	return m.RUnlock
}

// write locks the stripes of the names for writing, in stripe order so
// that two writers cannot deadlock, and returns their unlock.
func (l *nameLocks) write(a, b string) (unlock func()) {
	i, j := l.stripe(a), l.stripe(b)
	if i > j {
		i, j = j, i
	}
	l.stripes[i].Lock()
	if i == j {
		return l.stripes[i].Unlock
	}
	l.stripes[j].Lock()
	return func() { l.stripes[j].Unlock(); l.stripes[i].Unlock() }
}
