package posixfs

import (
	"os"
	"strings"
	"sync"
	"syscall"
)

// maxCachedDirs bounds the directory handles a driver keeps: all of nesting
// level 1 fits (256 directories and the namespace); with level 2 the
// first-level directories stay and the leaves come and go.
const maxCachedDirs = 1024

// dirCache keeps a handle per directory of the store, so that an item call
// resolves one path element with one openat, as plain syscalls with a full
// path do, instead of walking from the base one element at a time. A
// directory missing from the cache is opened from its parent's handle. The
// handles are os.Roots, so they keep every call inside the base; one whose
// directory is removed or replaced meanwhile is noticed by do.
//
// Handles dropped from the cache are not closed here: a call may still be
// using one, and an os.Root closes itself once it is unreferenced.
type dirCache struct {
	mu   sync.RWMutex
	base *dirHandle
	dirs map[string]*dirHandle
	// held counts the cached directories at or below each path, so that
	// forget costs a map lookup when nothing below a path is cached, and
	// eviction can tell leaves (held == 1) from parents.
	held map[string]int
}

// dirHandle is an open directory of the store.
type dirHandle struct {
	root *os.Root
	once sync.Once
	file *os.File // the directory as a file, for unlinkat; opened on first use
	err  error
}

// dir returns the directory as an *os.File, opening it on first use.
func (h *dirHandle) dir() (*os.File, error) {
	h.once.Do(func() { h.file, h.err = h.root.Open(".") })
	return h.file, h.err
}

// reset points the cache at base (nil when the store closes) and drops the
// cached handles.
func (c *dirCache) reset(base *os.Root) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.dirs, c.held = nil, nil, nil
	if base != nil {
		c.base = &dirHandle{root: base}
	}
}

// split returns the directory part of name ("" at the top) and its last
// element.
func split(name string) (dir, file string) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// dir returns the handle of the directory dir ("" is the base), from the
// cache or opened from its parent's. cached reports whether it came from
// the cache, that is, may be stale.
func (c *dirCache) dir(dir string) (h *dirHandle, cached bool, err error) {
	c.mu.RLock()
	base, h := c.base, c.dirs[dir]
	c.mu.RUnlock()
	switch {
	case base == nil:
		return nil, false, os.ErrClosed
	case dir == "":
		return base, false, nil
	case h != nil:
		return h, true, nil
	}
	parentDir, name := split(dir)
	parent, _, err := c.dir(parentDir)
	if err != nil {
		return nil, false, err
	}
	r, err := parent.root.OpenRoot(name)
	if err != nil {
		if fi, serr := parent.root.Stat(name); serr == nil && !fi.IsDir() {
			// OpenRoot says so in words; callers test for ENOTDIR.
			err = &os.PathError{Op: "openat", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil, false, err
	}
	h = &dirHandle{root: r}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base != base {
		return h, false, nil // closed or reopened meanwhile: do not cache
	}
	if old := c.dirs[dir]; old != nil {
		return old, true, nil
	}
	if c.dirs == nil {
		c.dirs, c.held = make(map[string]*dirHandle), make(map[string]int)
	}
	if len(c.dirs) >= maxCachedDirs {
		c.evict()
	}
	c.dirs[dir] = h
	c.count(dir, 1)
	return h, false, nil
}

// evict drops a quarter of the cache, leaves first (in map order, that is,
// at random), so that parents stay as long as they have children cached.
// The caller holds c.mu for writing.
func (c *dirCache) evict() {
	n := len(c.dirs) / 4
	for d := range c.dirs {
		if n == 0 {
			return
		}
		if c.held[d] == 1 {
			delete(c.dirs, d)
			c.count(d, -1)
			n--
		}
	}
}

// count adds n to the held count of dir and of each of its parents.
func (c *dirCache) count(dir string, n int) {
	for p := dir; ; {
		if c.held[p] += n; c.held[p] == 0 {
			delete(c.held, p)
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return
		}
		p = p[:i]
	}
}

// forget drops dir and every directory below it from the cache. Callers
// that rename or remove a path call it; it costs a map lookup when nothing
// at or below the path is cached.
func (c *dirCache) forget(dir string) {
	c.mu.RLock()
	held := c.held[dir]
	c.mu.RUnlock()
	if held == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := range c.dirs {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			delete(c.dirs, d)
			c.count(d, -1)
		}
	}
}

// do runs f with the directory of name and the last element of name. When
// f fails with a not-found error on a cached handle whose directory is no
// longer the one at that path (removed or replaced by someone else), the
// handle is dropped and f runs once more on a fresh one. A missing
// directory is the error f would have given for the item.
func (c *dirCache) do(name string, f func(dir *dirHandle, file string) error) error {
	dir, file := split(name)
	h, cached, err := c.dir(dir)
	if err != nil {
		return err
	}
	err = f(h, file)
	if err == nil || !cached || !isMissing(err) || c.current(dir, h) {
		return err
	}
	c.forget(dir)
	if h, _, err = c.dir(dir); err != nil {
		return err
	}
	return f(h, file)
}

// current reports whether the handle h still is the directory dir of the
// store.
func (c *dirCache) current(dir string, h *dirHandle) bool {
	c.mu.RLock()
	base := c.base
	c.mu.RUnlock()
	if base == nil {
		return true
	}
	here, err := h.root.Stat(".")
	if err != nil {
		return false
	}
	there, err := base.root.Stat(dir)
	return err == nil && os.SameFile(here, there)
}
