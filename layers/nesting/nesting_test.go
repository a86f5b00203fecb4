package nesting

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
)

// setup returns an open nesting layer with levels over a probe over a fresh
// memory driver, and the probe.
func setup(t *testing.T, levels map[string][]int, opts ...Option) (*Layer, *probe) {
	t.Helper()
	return setupFaults(t, levels, nil, opts...)
}

// setupFaults is setup with a probe whose faults layer has rules.
func setupFaults(t *testing.T, levels map[string][]int, rules []faults.Rule, opts ...Option) (*Layer, *probe) {
	t.Helper()
	p := newProbe(memory.New(""), rules...)
	l, err := New(p, levels, opts...)
	if err != nil {
		t.Fatal(err)
	}
	kvtest.OpenStore(t, l)
	p.reset()
	return l, p
}

// put stores value under the driver-level name, bypassing the layer.
func put(t *testing.T, b kv.Backend, name, value string) {
	t.Helper()
	if err := b.Store(t.Context(), name, []byte(value)); err != nil {
		t.Fatal(err)
	}
}

// exists reports whether the driver-level name is an item.
func exists(t *testing.T, b kv.Backend, name string) bool {
	t.Helper()
	info, err := b.Info(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Exists && !info.Directory
}

func TestSingleLevelCostsNoProbe(t *testing.T) {
	l, p := setup(t, map[string][]int{"config/": {0}, "data/": {2}})
	ctx := t.Context()
	for _, name := range []string{"data/12345678", "config/main"} {
		if err := l.Store(ctx, name, []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Load(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Hash(ctx, name, ""); err != nil {
			t.Fatal(err)
		}
		if err := l.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.callCount(kv.OpInfo); n != 0 {
		t.Errorf("%d Info calls below, want 0", n)
	}
}

func TestMultiLevel(t *testing.T) {
	l, p := setup(t, map[string][]int{"data/": {1, 2}})
	ctx := t.Context()
	put(t, p, "data/ab/abcdef01", "at level 1")
	put(t, p, "data/12/34/12345678", "at level 2")

	tests := []struct {
		name   string
		want   string // "" for missing
		probes int
	}{
		{"data/abcdef01", "at level 1", 1},
		{"data/12345678", "at level 2", 2},
		{"data/99999999", "", 2},
	}
	for _, tt := range tests {
		p.reset()
		got, err := l.Load(ctx, tt.name)
		switch {
		case tt.want == "" && !errors.Is(err, kv.ErrNotFound):
			t.Errorf("load %s: %q, %v; want ErrNotFound", tt.name, got, err)
		case tt.want != "" && (err != nil || string(got) != tt.want):
			t.Errorf("load %s = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if n := p.callCount(kv.OpInfo); n != tt.probes {
			t.Errorf("load %s: %d probes, want %d", tt.name, n, tt.probes)
		}
		info, err := l.Info(ctx, tt.name)
		if err != nil || info.Exists != (tt.want != "") || info.Name != tt.name {
			t.Errorf("info %s = %+v, %v", tt.name, info, err)
		}
	}

	// Overwrite stays, new items and soft-delete targets follow the rules.
	steps := []struct {
		do      func() error
		present string // driver-level name that must exist afterwards
		absent  string // and one that must not
	}{
		{func() error { return l.Store(ctx, "data/abcdef01", []byte("new")) }, "data/ab/abcdef01", "data/ab/cd/abcdef01"},
		{func() error { return l.Store(ctx, "data/55667788", []byte("new")) }, "data/55/66/55667788", "data/55/55667788"},
		{func() error { return l.Move(ctx, "data/abcdef01", "data/abcdef01.del") }, "data/ab/abcdef01.del", "data/ab/abcdef01"},
		{func() error { return l.Move(ctx, "data/abcdef01.del", "data/abcdef01") }, "data/ab/abcdef01", "data/ab/cd/abcdef01"},
		{func() error { return l.Move(ctx, "data/abcdef01", "data/aabbccdd") }, "data/aa/bb/aabbccdd", "data/ab/abcdef01"},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !exists(t, p, s.present) || exists(t, p, s.absent) {
			t.Errorf("step %d: want %s and no %s", i, s.present, s.absent)
		}
	}
}

func TestChangeLevel(t *testing.T) {
	l, p := setup(t, map[string][]int{"data/": {0, 1, 2}})
	ctx := t.Context()
	put(t, p, "data/abcdef01", "v")
	put(t, p, "data/12/12345678.del", "v")
	steps := []struct {
		name, to, at string
		moves        int
		err          error
	}{
		{"data/abcdef01", "data/abcdef01", "data/ab/cd/abcdef01", 1, nil},
		{"data/abcdef01", "data/abcdef01", "data/ab/cd/abcdef01", 0, nil},
		{"data/12345678.del", "", "data/12/34/12345678.del", 1, nil},
		{"data/99999999", "data/99999999", "", 0, kv.ErrNotFound},
		{"data/abcdef01", "data/00000000", "", 0, kv.ErrUnsupported},
	}
	for _, s := range steps {
		p.reset()
		err := l.Move(ctx, s.name, s.to, kv.ChangeLevel())
		if !errors.Is(err, s.err) || (s.err == nil && err != nil) {
			t.Errorf("change level %s: %v, want %v", s.name, err, s.err)
		}
		if s.at != "" && !exists(t, p, s.at) {
			t.Errorf("change level %s: not at %s", s.name, s.at)
		}
		if n := p.callCount(kv.OpMove); n != s.moves {
			t.Errorf("change level %s: %d moves below, want %d", s.name, n, s.moves)
		}
	}
	if _, err := l.Load(ctx, "data/abcdef01", kv.ChangeLevel()); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("load with change-level: %v, want ErrUnsupported", err)
	}
}

func TestList(t *testing.T) {
	l, p := setup(t, map[string][]int{"config/": {0}, "data/": {1, 2}, "x/": {2}})
	ctx := t.Context()
	for _, name := range []string{
		"data/ff/ffee", "data/ab/abcd.del", "data/ab/abcd", "data/ab/ab01",
		"data/12/34/1234", "data/12/34/1234.del", "data/12/33/1233", "data/00/11/22/0011", // too deep
		"data/toplevel", "data/long/long", "config/c1", "config/sub/c2",
	} {
		put(t, p, name, "v")
	}
	tests := []struct {
		dir  string
		want []string
		err  error
	}{
		{"data", []string{"1233", "1234", "1234.del", "ab01", "abcd", "abcd.del", "ffee"}, nil},
		{"config", []string{"c1", "sub"}, nil},
		{"data/12/34", []string{"1234", "1234.del"}, nil},
		{"x", nil, nil}, // a namespace Create made lists empty
		{"nothing", nil, kv.ErrNotFound},
	}
	for _, tt := range tests {
		var got []string
		var err error
		for info, e := range l.List(ctx, tt.dir) {
			if err = e; e != nil {
				break
			}
			got = append(got, info.Name)
		}
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("list %s: error %v, want %v", tt.dir, err, tt.err)
		}
		// Items of one level are sorted; compare as sets across levels.
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("list %s = %q, want %q", tt.dir, got, tt.want)
		}
	}
	// Stopping early is honoured.
	for range l.List(ctx, "data") {
		break
	}
}

func TestDefrag(t *testing.T) {
	l, p := setup(t, map[string][]int{"data/": {2}, "flat/": {0}})
	ctx := t.Context()
	put(t, p, "data/aa/bb/aabbcc", "0123456789")
	put(t, p, "flat/src", "abcdef")
	blocks := []kv.Block{{Name: "data/aabbcc", Offset: 1, Size: 2}, {Name: "flat/src", Offset: 0, Size: 3}}
	want := "12abc"
	sum, _ := backendkit.HashBytes(kv.DefaultHash, []byte(want))
	tests := []struct {
		sources []kv.Block
		opts    []kv.Option
		name    string // returned
		at      string // driver level
	}{
		{blocks, []kv.Option{kv.Target("data/1234")}, "data/1234", "data/12/34/1234"},
		{blocks, nil, "data/" + sum, "data/" + sum[:2] + "/" + sum[2:4] + "/" + sum},
		{[]kv.Block{blocks[1], blocks[0]}, []kv.Option{kv.Target("flat/t")}, "flat/t", "flat/t"},
	}
	for _, tt := range tests {
		name, err := l.Defrag(ctx, tt.sources, tt.opts...)
		if err != nil || name != tt.name {
			t.Errorf("defrag %v = %q, %v; want %q", tt.opts, name, err, tt.name)
			continue
		}
		got, err := p.Load(ctx, tt.at)
		if err != nil || len(got) != len(want) {
			t.Errorf("load %s = %q, %v", tt.at, got, err)
		}
	}
	got, err := l.Load(ctx, "flat/t")
	if err != nil || !bytes.Equal(got, []byte("abc12")) {
		t.Errorf("flat/t = %q, %v", got, err)
	}
}

func TestInfoOfDirectories(t *testing.T) {
	l, p := setup(t, map[string][]int{"a/b/": {1}})
	ctx := t.Context()
	if err := p.Mkdir(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", "a", "a/b"} {
		info, err := l.Info(ctx, dir)
		if err != nil || !info.Directory {
			t.Errorf("info %q = %+v, %v; want a directory", dir, info, err)
		}
	}
	if _, err := l.Info(ctx, "c"); !errors.Is(err, kv.ErrInvalidName) {
		t.Errorf("info of a name outside every namespace: %v, want ErrInvalidName", err)
	}
}
