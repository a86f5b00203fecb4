// Package tmpsweep removes the temporary files that killed writers left in
// a store: files ending in kv.TempSuffix that were not modified for
// StaleAfter. Drivers that write temporaries start a sweep from Open.
//
// A store holds no item whose name ends in ".tmp" (the name rules forbid
// it), so every such file is a temporary: of a Store in progress, or of
// one whose writer was killed between writing it and renaming it over its
// target. A live writer modifies its temporary as its bytes arrive (one
// write on a local disk, chunk after chunk over sftp) and renames it at
// once when the last one is written, so a temporary untouched for
// StaleAfter has no writer left: a day is far beyond any stall a driver
// or its link allows, and a laptop suspended in the middle of a Store for
// longer finds its rename failing, never another item lost.
//
// Walking a store lists every directory: 65,536 of them at nesting level
// 2, a long walk over a slow link. So a sweep runs in the background,
// one directory listing at a time, while the store is used; Close stops
// it. And a long walk runs at most once per Every for a store: a complete
// sweep that listed more than LongWalk directories touches the stamp file
// StampName at the root, and a sweep that finds the stamp younger than
// Every ends after listing the root. A small store, cheap to walk, is
// walked at every Open and gets no stamp.
package tmpsweep

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/kvcompose/compose/kv"
)

// StaleAfter is how long a temporary must not have been modified before a
// sweep removes it.
const StaleAfter = 24 * time.Hour

// Every is the least time between two complete sweeps of a store.
const Every = 6 * time.Hour

// LongWalk is the number of directory listings past which a complete
// sweep touches the stamp.
const LongWalk = 256

// StampName is the file at the root of a store whose modification time
// records the last complete sweep. Its name is invalid as an item (a
// ".hid" suffix): List never shows it.
const StampName = "tmpsweep" + kv.HiddenSuffix

// Entry is one entry of a directory listing of FS.
type Entry struct {
	Name    string // the base name
	Dir     bool
	ModTime time.Time
}

// FS is the raw access to a store that a sweep needs, below the name
// rules (temporaries are invalid names). Names are relative to the base
// of the store and "/"-separated; "" is the base.
type FS interface {
	// ReadDir lists the directory dir, every entry included.
	ReadDir(ctx context.Context, dir string) ([]Entry, error)
	// Remove removes the file name.
	Remove(ctx context.Context, name string) error
	// Touch creates the file name, or empties it, so that its
	// modification time is now.
	Touch(ctx context.Context, name string) error
}

// Sweep walks fs once, unless the stamp says that a sweep completed less
// than Every before now, and removes every file ending in kv.TempSuffix
// whose modification time is StaleAfter or more before now. It descends
// only into directories with valid names (a store's own), one listing at a
// time, and touches the stamp when the walk completed after more than
// LongWalk listings. It returns how
// many temporaries it removed and the first error that stopped it; a
// temporary that cannot be removed (gone meanwhile, or no right to) is
// passed over.
func Sweep(ctx context.Context, fs FS, now time.Time) (removed int, err error) {
	dirs, listed := []string{""}, 0
	for len(dirs) > 0 {
		dir := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		entries, err := fs.ReadDir(ctx, dir)
		listed++
		if err != nil {
			if dir != "" && errors.Is(err, kv.ErrNotFound) {
				continue // removed while we walk
			}
			return removed, err
		}
		if dir == "" && sweptSince(entries, now.Add(-Every)) {
			return 0, nil
		}
		for _, e := range entries {
			name := join(dir, e.Name)
			switch {
			case e.Dir:
				if kv.IsValidName(e.Name) {
					dirs = append(dirs, name)
				}
			case strings.HasSuffix(e.Name, kv.TempSuffix) && now.Sub(e.ModTime) >= StaleAfter:
				if fs.Remove(ctx, name) == nil {
					removed++
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return removed, err
		}
	}
	if listed <= LongWalk {
		return removed, nil
	}
	return removed, fs.Touch(ctx, StampName)
}

// sweptSince reports whether the entries of the root hold a stamp touched
// after t.
func sweptSince(root []Entry, t time.Time) bool {
	for _, e := range root {
		if e.Name == StampName && !e.Dir && e.ModTime.After(t) {
			return true
		}
	}
	return false
}

// join returns the name of base in dir.
func join(dir, base string) string {
	if dir == "" {
		return base
	}
	return dir + "/" + base
}

// Sweeper is a sweep running in the background.
type Sweeper struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	removed int
	err     error
}

// Start starts Sweep of fs in the background, at the time now, and
// returns the running sweep; Stop ends it. A driver calls it as the last
// step of Open.
func Start(fs FS, now time.Time) *Sweeper {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sweeper{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		removed, err := Sweep(ctx, fs, now)
		s.mu.Lock()
		s.removed, s.err = removed, err
		s.mu.Unlock()
	}()
	return s
}

// Wait waits until the sweep ends and returns how many temporaries it
// removed and the error that stopped it, if any.
func (s *Sweeper) Wait() (removed int, err error) {
	if s == nil {
		return 0, nil
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed, s.err
}

// Stop cancels the sweep and waits until it ended; a driver calls it
// first in Close. Stop of a nil Sweeper does nothing.
func (s *Sweeper) Stop() {
	if s == nil {
		return
	}
	s.cancel()
	<-s.done
}
