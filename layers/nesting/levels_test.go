package nesting

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
)

// gated holds the first call of op on the driver-level name below the
// layer until release is closed, after closing arrived: a test forces an
// interleaving with it instead of hoping for one.
type gated struct {
	kv.Backend
	op               kv.Op
	name             string
	held             atomic.Bool
	arrived, release chan struct{}
}

func newGated(next kv.Backend, op kv.Op, name string) *gated {
	return &gated{Backend: next, op: op, name: name, arrived: make(chan struct{}), release: make(chan struct{})}
}

func (g *gated) hold(op kv.Op, name string) {
	if op != g.op || name != g.name {
		return
	}
	if g.held.CompareAndSwap(false, true) {
		close(g.arrived)
		<-g.release
	}
}

func (g *gated) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	g.hold(kv.OpInfo, name)
	return g.Backend.Info(ctx, name, opts...)
}

func (g *gated) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	g.hold(kv.OpLoad, name)
	return g.Backend.Load(ctx, name, opts...)
}

func (g *gated) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	g.hold(kv.OpStore, name)
	return g.Backend.Store(ctx, name, value, opts...)
}

func (g *gated) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	g.hold(kv.OpDelete, name)
	return g.Backend.Delete(ctx, name, opts...)
}

func (g *gated) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	g.hold(kv.OpHash, name)
	return g.Backend.Hash(ctx, name, algorithm, opts...)
}

func (g *gated) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	g.hold(kv.OpMove, from)
	return g.Backend.Move(ctx, from, to, opts...)
}

// TestChangeLevelRaces runs each call on an item at level 1 of {1, 2}
// against a ChangeLevel of it, in the order that broke them: the call has
// found the item's level and reaches the driver only after the move (the
// gate holds it there; the move runs to its end, or, where the layer makes
// it wait for the call, for at most a moment, which changes nothing in the
// outcome). The item must be seen once, at its latest value, and deleted
// for good.
func TestChangeLevelRaces(t *testing.T) {
	const (
		key    = "data/abcd0001"
		level1 = "data/ab/abcd0001"
		level2 = "data/ab/cd/abcd0001"
	)
	for _, tc := range []struct {
		name  string
		op    kv.Op
		call  func(context.Context, *Layer) error
		value string   // the live value after both, "" for none
		list  []string // what List yields after both
	}{
		{"store", kv.OpStore, func(ctx context.Context, l *Layer) error {
			return l.Store(ctx, key, []byte("v2"))
		}, "v2", []string{"abcd0001"}},
		{"delete", kv.OpDelete, func(ctx context.Context, l *Layer) error {
			return l.Delete(ctx, key)
		}, "", nil},
		{"soft delete", kv.OpMove, func(ctx context.Context, l *Layer) error {
			return l.Move(ctx, key, key+kv.DeletedSuffix)
		}, "", []string{"abcd0001.del"}},
		{"load", kv.OpLoad, func(ctx context.Context, l *Layer) error {
			v, err := l.Load(ctx, key)
			if err == nil && string(v) != "v1" {
				err = errors.New("loaded " + string(v))
			}
			return err
		}, "v1", []string{"abcd0001"}},
		{"hash", kv.OpHash, func(ctx context.Context, l *Layer) error {
			_, err := l.Hash(ctx, key, "")
			return err
		}, "v1", []string{"abcd0001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			g := newGated(memory.New(""), tc.op, level1)
			l, err := New(g, map[string][]int{"data/": {1, 2}})
			if err != nil {
				t.Fatal(err)
			}
			kvtest.OpenStore(t, l)
			put(t, g.Backend, level1, "v1")

			callErr := make(chan error, 1)
			go func() { callErr <- tc.call(ctx, l) }()
			<-g.arrived
			moved := make(chan error, 1)
			go func() { moved <- l.Move(ctx, key, key, kv.ChangeLevel()) }()
			select {
			case <-moved:
				moved <- nil // the old layer: the move ran past the call
			case <-time.After(50 * time.Millisecond):
			}
			close(g.release)
			if err := <-callErr; err != nil {
				t.Errorf("%s during a level change: %v", tc.name, err)
			}
			if err := <-moved; err != nil && !(tc.value == "" && errors.Is(err, kv.ErrNotFound)) {
				t.Errorf("change level: %v", err)
			}

			copies := 0
			for _, n := range []string{level1, level2} {
				if exists(t, g.Backend, n) {
					copies++
				}
			}
			names := listNames(t, l, "data")
			v, err := l.Load(ctx, key)
			switch {
			case tc.value == "":
				if copies != 0 || !errors.Is(err, kv.ErrNotFound) || !slices.Equal(names, tc.list) {
					t.Errorf("after %s: %d copies, load %q, %v, list %q; want it gone", tc.name, copies, v, err, names)
				}
			case copies != 1 || err != nil || string(v) != tc.value || !slices.Equal(names, tc.list):
				t.Errorf("after %s: %d copies, load %q, %v, list %q; want one copy of %q", tc.name, copies, v, err, names, tc.value)
			}
		})
	}
}

// listNames returns the names List(dir) yields through b.
func listNames(t *testing.T, b kv.Backend, dir string) []string {
	t.Helper()
	var names []string
	for info, err := range b.List(t.Context(), dir) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, info.Name)
	}
	return names
}

// flat is a driver for tests whose namespace claims to be flat: List takes
// kv.Recursive, answered from a walk of the memory driver below, and
// counts its calls.
type flat struct {
	kv.Backend
	lists, recursive atomic.Int64
}

func (f *flat) Properties() kv.Properties {
	p := kv.PropertiesOf(f.Backend)
	p.Flat = true
	return p
}

func (f *flat) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	f.lists.Add(1)
	if !backendkit.Has(opts, kv.KindRecursive) {
		return f.Backend.List(ctx, name, opts...)
	}
	f.recursive.Add(1)
	var all []kv.ItemInfo
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		for info, err := range f.Backend.List(ctx, dir, backendkit.Without(opts, kv.KindRecursive)...) {
			if err != nil {
				return err
			}
			if info.Directory {
				if err := walk(dir+"/"+info.Name, rel+info.Name+"/"); err != nil {
					return err
				}
				continue
			}
			info.Name = rel + info.Name
			all = append(all, info)
		}
		return nil
	}
	err := walk(backendkit.ListDir(name), "")
	slices.SortFunc(all, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	if err != nil {
		return backendkit.ErrorSeq(err)
	}
	return backendkit.SliceSeq(ctx, kv.OpList, name, all)
}

// TestListAcrossLevels lists a namespace at levels {1, 2}, and at {2, 0},
// with items at each level, one at two levels (a move half done), and
// names that are no items at any level: by a walk, and by one recursive
// listing per level on a flat driver. Both yield the keys sorted, once.
func TestListAcrossLevels(t *testing.T) {
	for _, tc := range []struct {
		levels []int
		items  []string // driver-level names
		want   []string
	}{
		{[]int{1, 2}, []string{
			"data/01/01ffaaaa", "data/01/00/0100aaaa", "data/01/0100bbbb", "data/01/00/0100bbbb",
			"data/02/02aa", "data/02/03/0203cccc", "data/01/ff/zz", "data/01/00/aa/0100aaaa",
			"data/0101", "data/ab/cd/ef/abcdef00", "data/ab/cd/abcd.del",
		}, []string{"0100aaaa", "0100bbbb", "01ffaaaa", "0203cccc", "02aa", "abcd.del"}},
		{[]int{2, 0}, []string{"data/01/00/0100aaaa", "data/0000", "data/0100aaaa", "data/ffff", "data/ff/ff/ffff", "data/01/0102"},
			[]string{"0000", "0100aaaa", "ffff"}},
	} {
		for _, isFlat := range []bool{false, true} {
			t.Run(fmt.Sprint(tc.levels, map[bool]string{false: "walk", true: "flat"}[isFlat]), func(t *testing.T) {
				f := &flat{Backend: memory.New("")}
				var below kv.Backend = memory.New("")
				if isFlat {
					below = f
				}
				l, err := New(below, map[string][]int{"data/": tc.levels})
				if err != nil {
					t.Fatal(err)
				}
				kvtest.OpenStore(t, l)
				for _, n := range tc.items {
					put(t, below, n, "v")
				}
				f.lists.Store(0)
				if got := listNames(t, l, "data/"); !slices.Equal(got, tc.want) {
					t.Errorf("list = %q, want %q", got, tc.want)
				}
				if isFlat && (f.lists.Load() != 2 || f.recursive.Load() != 2) {
					t.Errorf("%d List calls below, %d recursive; want one recursive listing per level", f.lists.Load(), f.recursive.Load())
				}
			})
		}
	}
}

// TestListWhileChangingLevels moves each item to the last level as the
// listing yields it, as a migration does: every key is yielded once, in
// order.
func TestListWhileChangingLevels(t *testing.T) {
	for _, isFlat := range []bool{false, true} {
		t.Run(map[bool]string{false: "walk", true: "flat"}[isFlat], func(t *testing.T) {
			var below kv.Backend = memory.New("")
			if isFlat {
				below = &flat{Backend: below}
			}
			l, err := New(below, map[string][]int{"data/": {1, 2}}, WithConcurrency(1))
			if err != nil {
				t.Fatal(err)
			}
			kvtest.OpenStore(t, l)
			keys := testKeys(200)
			for i, k := range keys {
				lv := 1 + i%2
				put(t, below, nest("data/"+k, lv, ""), "v")
			}
			var got []string
			for info, err := range l.List(t.Context(), "data") {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, info.Name)
				if err := l.Move(t.Context(), "data/"+info.Name, "data/"+info.Name, kv.ChangeLevel()); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, keys) {
				t.Errorf("list while changing levels: %d names, want the %d keys once, in order", len(got), len(keys))
			}
		})
	}
}

// TestNestedRefusesRecursive checks that a nested namespace refuses
// kv.Recursive, whose relative names would be the nesting directories'.
func TestNestedRefusesRecursive(t *testing.T) {
	l, _ := setup(t, map[string][]int{"data/": {2}})
	err := kvtest.Drain(l.List(t.Context(), "data", kv.Recursive()))
	if !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("list data recursive: %v, want ErrUnsupported", err)
	}
}
