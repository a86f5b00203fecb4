package cache

import (
	"container/list"
	"sort"
	"sync"
	"time"
)

// space is one cached namespace: its policy and the in-memory index of the
// items the cache holds for it (name, size, last use), in the order of
// their last use. The index decides what MaxAge and MaxSize evict, so that
// no call needs to stat the cache store.
type space struct {
	prefix string
	policy Policy

	mu    sync.Mutex
	items map[string]*list.Element // of *entry
	lru   list.List                // most recently used first
	size  int64
}

// entry is one cached item in the index.
type entry struct {
	name string
	size int64
	used time.Time
}

func newSpace(prefix string, p Policy) *space {
	return &space{prefix: prefix, policy: p, items: make(map[string]*list.Element)}
}

// rebuild replaces the index with entries (the listing of the cache),
// ordering them by their last use, the oldest last.
func (s *space) rebuild(entries []entry) {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].used.After(entries[j].used) })
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = make(map[string]*list.Element, len(entries))
	s.lru.Init()
	s.size = 0
	for _, e := range entries {
		if _, dup := s.items[e.name]; !dup {
			s.items[e.name] = s.lru.PushBack(&entry{name: e.name, size: e.size, used: e.used})
			s.size += e.size
		}
	}
}

// has reports whether the index holds name.
func (s *space) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[name]
	return ok
}

// touch records a use of name at now, if the index holds it.
func (s *space) touch(name string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[name]; ok {
		el.Value.(*entry).used = now
		s.lru.MoveToFront(el)
	}
}

// reserve records name, of size bytes, as cached and used at now, and
// returns the items to evict to keep the namespace in its budget: the
// expired ones first, then the least recently used. ok is false, and name
// is not recorded, when the item is bigger than the budget.
func (s *space) reserve(name string, size int64, now time.Time) (victims []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(name)
	if s.policy.MaxSize > 0 && size > s.policy.MaxSize {
		return nil, false
	}
	victims = s.trim(now, size)
	s.items[name] = s.lru.PushFront(&entry{name: name, size: size, used: now})
	s.size += size
	return victims, true
}

// forget removes name from the index and reports whether it was there.
func (s *space) forget(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remove(name)
}

// rename moves the entry of from to to, used at now, and reports whether
// from was indexed.
func (s *space) rename(from, to string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[from]
	if !ok {
		s.remove(to)
		return false
	}
	s.remove(to)
	delete(s.items, from)
	e := el.Value.(*entry)
	e.name, e.used = to, now
	s.items[to] = el
	s.lru.MoveToFront(el)
	return true
}

// cleanup removes what is expired or over the budget from the index and
// returns the names.
func (s *space) cleanup(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trim(now, 0)
}

// withPrefix removes the entries whose names start with prefix and returns
// their names.
func (s *space) withPrefix(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.items {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
			names = append(names, name)
		}
	}
	for _, name := range names {
		s.remove(name)
	}
	return names
}

// usage returns the number of indexed items and their total size.
func (s *space) usage() (items int, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items), s.size
}

// remove drops name from the index; s.mu is held.
func (s *space) remove(name string) bool {
	el, ok := s.items[name]
	if !ok {
		return false
	}
	s.size -= el.Value.(*entry).size
	s.lru.Remove(el)
	delete(s.items, name)
	return true
}

// trim removes the expired entries, then the least recently used ones until
// extra more bytes fit in the budget, and returns their names; s.mu is held.
func (s *space) trim(now time.Time, extra int64) []string {
	var victims []string
	for el := s.lru.Back(); el != nil; el = s.lru.Back() {
		e := el.Value.(*entry)
		expired := s.policy.MaxAge > 0 && now.Sub(e.used) > s.policy.MaxAge
		over := s.policy.MaxSize > 0 && s.size+extra > s.policy.MaxSize
		if !expired && !over {
			break
		}
		victims = append(victims, e.name)
		s.remove(e.name)
	}
	return victims
}
