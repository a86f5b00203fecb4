package tmpsweep_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// fakeFS is a store in memory: file names with their modification times;
// directories are implied by the names.
type fakeFS struct {
	mu    sync.Mutex
	files map[string]time.Time
	now   time.Time
	lists int
}

func (f *fakeFS) ReadDir(_ context.Context, dir string) ([]tmpsweep.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	seen := map[string]tmpsweep.Entry{}
	for name, mtime := range f.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if base, _, isDir := strings.Cut(rest, "/"); isDir {
			seen[base] = tmpsweep.Entry{Name: base, Dir: true}
		} else {
			seen[base] = tmpsweep.Entry{Name: base, ModTime: mtime}
		}
	}
	if len(seen) == 0 && dir != "" {
		return nil, backendkit.NewError(kv.OpList, dir, kv.ErrNotFound, nil)
	}
	return slices.SortedFunc(maps.Values(seen), func(a, b tmpsweep.Entry) int { return strings.Compare(a.Name, b.Name) }), nil
}

func (f *fakeFS) Remove(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, name)
	return nil
}

func (f *fakeFS) Touch(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[name] = f.now
	return nil
}

func (f *fakeFS) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.files))
}

// TestSweep checks what a sweep removes: temporaries untouched for
// StaleAfter, in every directory of the store, and nothing else; and that
// a second sweep within Every lists only the root.
func TestSweep(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	old, fresh := now.Add(-tmpsweep.StaleAfter), now.Add(-tmpsweep.StaleAfter+time.Minute)
	fs := &fakeFS{now: now, files: map[string]time.Time{
		"config":                       old,
		"x.abc.tmp":                    old,
		"data/00/0011.k3j.tmp":         old,
		"data/00/0011":                 old,
		"data/ff/ffee.zz.tmp":          fresh,
		"data/ff/ffee":                 old,
		"packs/01/02/0102.q.tmp":       old.Add(-time.Hour),
		"foreign dir/old.tmp":          old, // not a store's directory: left alone
		"data/00/tmpabc.tmp":           old, // borgstore's temporaries too
		"archives/a.del":               old,
		"data/ff/not-a-temp.tmp.other": old,
	}}
	// A small store: walked, no stamp.
	if removed, err := tmpsweep.Sweep(t.Context(), fs, now); err != nil || removed != 4 {
		t.Fatalf("sweep of a small store: removed %d, %v; want 4", removed, err)
	}
	if _, ok := fs.files[tmpsweep.StampName]; ok {
		t.Error("a small store got a stamp")
	}
	// A big one: stamped.
	for i := range tmpsweep.LongWalk {
		fs.files[fmt.Sprintf("index/%03d/x", i)] = old
	}
	fs.files["x.abc.tmp"] = old
	fs.files["data/00/0011.k3j.tmp"] = old
	fs.files["packs/01/02/0102.q.tmp"] = old
	fs.files["data/00/tmpabc.tmp"] = old
	removed, err := tmpsweep.Sweep(t.Context(), fs, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"archives/a.del", "config", "data/00/0011", "data/ff/ffee", "data/ff/ffee.zz.tmp",
		"data/ff/not-a-temp.tmp.other", "foreign dir/old.tmp", tmpsweep.StampName,
	}
	got := slices.DeleteFunc(fs.names(), func(n string) bool { return strings.HasPrefix(n, "index/") })
	if !slices.Equal(got, want) {
		t.Errorf("after the sweep: %q, want %q", got, want)
	}
	if removed != 4 {
		t.Errorf("removed %d, want 4", removed)
	}
	// Within Every: the root only.
	fs.files["data/00/new.tmp"] = old
	fs.lists = 0
	if removed, err := tmpsweep.Sweep(t.Context(), fs, now.Add(tmpsweep.Every-time.Minute)); err != nil || removed != 0 || fs.lists != 1 {
		t.Errorf("a sweep within Every: removed %d, %d listings, %v; want 0, 1", removed, fs.lists, err)
	}
	// After Every: a whole walk again.
	if removed, err := tmpsweep.Sweep(t.Context(), fs, now.Add(tmpsweep.Every)); err != nil || removed != 2 {
		t.Errorf("a sweep after Every: removed %d, %v; want 2 (data/00/new.tmp, and data/ff/ffee.zz.tmp stale by now)", removed, err)
	}
}

// TestStop checks that Stop ends a sweep in the background, and that Wait
// reports a sweep that ran to its end.
func TestStop(t *testing.T) {
	now := time.Now()
	fs := &fakeFS{now: now, files: map[string]time.Time{"a/b.x.tmp": now.Add(-2 * tmpsweep.StaleAfter)}}
	s := tmpsweep.Start(fs, now)
	if removed, err := s.Wait(); removed != 1 || err != nil {
		t.Errorf("wait: %d, %v; want 1, nil", removed, err)
	}
	s.Stop()
	blocked := &blockingFS{fakeFS: fs, entered: make(chan struct{})}
	s = tmpsweep.Start(blocked, now.Add(2*tmpsweep.Every))
	<-blocked.entered
	s.Stop()
	if _, err := s.Wait(); err != context.Canceled {
		t.Errorf("a stopped sweep: %v, want %v", err, context.Canceled)
	}
	var nilSweeper *tmpsweep.Sweeper
	nilSweeper.Stop()
}

// blockingFS blocks ReadDir until its context is done.
type blockingFS struct {
	*fakeFS
	entered chan struct{}
	once    sync.Once
}

func (b *blockingFS) ReadDir(ctx context.Context, dir string) ([]tmpsweep.Entry, error) {
	b.once.Do(func() { close(b.entered) })
	<-ctx.Done()
	return nil, ctx.Err()
}
