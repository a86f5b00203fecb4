package nesting

import (
	"errors"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// reopen returns the layer over drv with levels (nil: the store's), opened,
// or the error of Open.
func reopen(t *testing.T, drv kv.Backend, levels map[string][]int, opts ...Option) (*Layer, error) {
	t.Helper()
	l, err := New(drv, levels, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Open(t.Context()); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = l.Close(t.Context()) })
	return l, nil
}

func equalLevels(a, b map[string][]int) bool { return maps.EqualFunc(a, b, slices.Equal[[]int]) }

func TestLayoutRecorded(t *testing.T) {
	drv := memory.New("")
	rec := map[string][]int{"config/": {0}, "data/": {1}}
	created, err := New(drv, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := created.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	l, err := reopen(t, drv, nil)
	if err != nil {
		t.Fatalf("open without levels: %v", err)
	}
	if got := l.Levels(); !equalLevels(got, rec) {
		t.Errorf("levels %v, want the recorded %v", got, rec)
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		levels map[string][]int
		change bool
		want   string // "" for success
	}{
		{map[string][]int{"data/": {1}}, false, ""},
		{map[string][]int{"data/": {1}, "config/": {0}}, false, ""},
		{map[string][]int{"data/": {2}}, false, `contradict the store's "data/"=[1]`},
		{map[string][]int{"other/": {0}}, false, "not in the store's layout"},
		{map[string][]int{"data/": {2}}, true, "drop level 1"},
		{map[string][]int{"data/": {1, 2}}, true, ""},
	} {
		var opts []Option
		if tc.change {
			opts = append(opts, WithLevelChange())
		}
		l, err := reopen(t, drv, tc.levels, opts...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("open with %v (change %v): %v", tc.levels, tc.change, err)
		case tc.want != "" && (!errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("open with %v (change %v): %v, want %v saying %q", tc.levels, tc.change, err, ErrLayout, tc.want)
		}
		if l != nil {
			_ = l.Close(t.Context())
		}
	}
	// The change was recorded.
	l, err = reopen(t, drv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]int{"config/": {0}, "data/": {1, 2}}; !equalLevels(l.Levels(), want) {
		t.Errorf("levels after the change %v, want %v", l.Levels(), want)
	}
}

// TestLayoutCreatedFlat: a store created without levels records the root at
// level 0; a nested namespace added later must keep level 0.
func TestLayoutCreatedFlat(t *testing.T) {
	drv := memory.New("")
	l, err := New(drv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := reopen(t, drv, map[string][]int{"data/": {2}}, WithLevelChange()); !errors.Is(err, ErrLayout) {
		t.Errorf("data/=2 over a flat store: %v, want %v", err, ErrLayout)
	}
	if _, err := reopen(t, drv, map[string][]int{"data/": {0, 2}}, WithLevelChange()); err != nil {
		t.Errorf("data/=0,2 over a flat store: %v", err)
	}
}

func TestLayoutDetected(t *testing.T) {
	drv := memory.New("")
	if err := drv.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"config", "empty1/00", "empty1/01", "empty2/00/00", "empty2/00/01"} {
		if err := drv.Mkdir(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, drv, "config/id", "x")
	put(t, drv, "data/00/00/0000aa", "x")
	put(t, drv, "migrating/abcd", "x")
	put(t, drv, "migrating/ab/cd/abcd01", "x")
	put(t, drv, "root-item", "x")
	if err := drv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	l, err := reopen(t, drv, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"": {0}, "config/": {0}, "data/": {2}, "empty1/": {1}, "empty2/": {2}, "migrating/": {0, 2}}
	if got := l.Levels(); !equalLevels(got, want) {
		t.Errorf("detected %v, want %v", got, want)
	}
	_ = l.Close(t.Context())
	if _, err := reopen(t, drv, map[string][]int{"data/": {1}}); !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), `"data/" at level 2`) {
		t.Errorf("data/=1 on a store holding data/ at level 2: %v", err)
	}
	if _, err := reopen(t, drv, map[string][]int{"": {0}}); !errors.Is(err, ErrLayout) {
		t.Errorf("the root at level 0 over nested namespaces: %v", err)
	}
	if _, err := reopen(t, drv, map[string][]int{"data/": {2}, "config/": {0}}); err != nil {
		t.Errorf("levels that fit: %v", err)
	}
}

// TestCallerErrors: errors name the caller's key, with the cause but no
// nesting directory, and an invalid name says what is wrong with it.
func TestCallerErrors(t *testing.T) {
	l, _ := setup(t, map[string][]int{"data/": {1}})
	_, err := l.Load(t.Context(), "data/89abcdef")
	if !errors.Is(err, kv.ErrNotFound) || !strings.Contains(err.Error(), `"data/89abcdef"`) || strings.Contains(err.Error(), "89/") {
		t.Errorf("load of a missing item: %v", err)
	}
	// On disk the cause names the nesting directory ("openat 89: no such
	// file or directory"): told without it.
	drv, err := posixfs.New(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := New(drv, map[string][]int{"data/": {1}})
	if err != nil {
		t.Fatal(err)
	}
	kvtest.OpenStore(t, fl)
	if err := fl.Store(t.Context(), "data/00aa", []byte("v")); err != nil {
		t.Fatal(err)
	}
	_, err = fl.Load(t.Context(), "data/89abcdef")
	if !errors.Is(err, kv.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "89 ") || strings.Contains(err.Error(), "openat") {
		t.Errorf("load of a missing item from disk: %v", err)
	}
	_, err = l.Load(t.Context(), "data/AB")
	if !errors.Is(err, kv.ErrInvalidName) || !strings.Contains(err.Error(), "names are lowercase") {
		t.Errorf("load of an uppercase key: %v", err)
	}
	_, err = l.Load(t.Context(), "other/ab")
	if !errors.Is(err, kv.ErrInvalidName) || !strings.Contains(err.Error(), "no nesting namespace") {
		t.Errorf("load outside the namespaces: %v", err)
	}
}
