package nesting

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

// storeKeys stores n random hex keys in data/ through l and returns them
// sorted.
func storeKeys(t *testing.T, l *Layer, n int) []string {
	t.Helper()
	keys := testKeys(n)
	for _, k := range keys {
		if err := l.Store(t.Context(), "data/"+k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// testKeys returns the n keys that storeKeys stores, sorted: the same on
// every call.
func testKeys(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%016x", r.Uint64())
	}
	slices.Sort(keys)
	return keys
}

func TestListConcurrentInOrder(t *testing.T) {
	for _, conc := range []int{1, 8} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			l, p := setup(t, map[string][]int{"data/": {2}}, WithConcurrency(conc))
			keys := storeKeys(t, l, 300)
			p.listGate = int64(conc)
			var got []string
			for info, err := range l.List(t.Context(), "data") {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, info.Name)
			}
			if !slices.Equal(got, keys) {
				t.Errorf("list: %d names, want the %d keys in sorted order", len(got), len(keys))
			}
			if m := p.maxListInflight.Load(); m != int64(conc) {
				t.Errorf("at most %d List calls in flight, want %d", m, conc)
			}
		})
	}
}

func TestListAbandoned(t *testing.T) {
	l, p := setup(t, map[string][]int{"data/": {2}}, WithConcurrency(16))
	storeKeys(t, l, 200)
	n := 0
	for _, err := range l.List(t.Context(), "data") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if got := p.listInflight.Load(); got != 0 {
		t.Errorf("%d List calls still running after the caller stopped", got)
	}
	if calls := p.callCount(kv.OpList); calls >= 200 {
		t.Errorf("%d List calls for 3 items: the walk did not stop", calls)
	}
}

func TestListError(t *testing.T) {
	failing := "data/" + testKeys(100)[50][:2]
	l, p := setupFaults(t, map[string][]int{"data/": {1}},
		[]faults.Rule{{Ops: []kv.Op{kv.OpList}, Prefix: failing, Err: kv.ErrConnection}}, WithConcurrency(4))
	keys := storeKeys(t, l, 100)
	var got []string
	var err error
	for info, e := range l.List(t.Context(), "data") {
		if e != nil {
			err = e
			break
		}
		got = append(got, info.Name)
	}
	if !errors.Is(err, kv.ErrConnection) {
		t.Fatalf("list with a failing directory: %v, want its error", err)
	}
	if len(got) == 0 || len(got) > 50 || !slices.Equal(got, keys[:len(got)]) {
		t.Errorf("list before the error: %d items, want the items before it in order", len(got))
	}
	if p.listInflight.Load() != 0 {
		t.Error("List calls still running after the error")
	}
}

func TestErrorsNameTheCallersKey(t *testing.T) {
	l, _ := setup(t, map[string][]int{"data/": {1}})
	ctx := t.Context()
	_, err := l.Load(ctx, "data/ffff0000")
	if !errors.Is(err, kv.ErrNotFound) || !strings.Contains(err.Error(), `"data/ffff0000"`) || strings.Contains(err.Error(), "data/ff/") {
		t.Errorf("load of a missing item: %v, want not found naming data/ffff0000", err)
	}
	err = l.Store(ctx, "data/ffff000A", nil)
	if !errors.Is(err, kv.ErrInvalidName) || !strings.Contains(err.Error(), "at 12") {
		t.Errorf("store with an uppercase letter: %v, want invalid name at position 12 of the caller's name", err)
	}
	err = l.Store(ctx, "other/x", nil)
	if !errors.Is(err, kv.ErrInvalidName) || !strings.Contains(err.Error(), `"data/"`) {
		t.Errorf("store outside the namespaces: %v, want an error listing them", err)
	}
}

func TestDestroyRemoteIsConcurrent(t *testing.T) {
	p := newProbe(memory.New(""))
	p.precreate, p.remote = true, true
	var reports [][2]int
	l, err := New(p, map[string][]int{"data/": {2}, "config/": {0}}, WithConcurrency(8),
		WithProgress(func(done, total int) { reports = append(reports, [2]int{done, total}) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := l.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Open(ctx); err != nil {
		t.Fatal(err)
	}
	storeKeys(t, l, 50)
	if err := l.Destroy(ctx); !errors.Is(err, kv.ErrAlreadyOpen) || !strings.HasPrefix(err.Error(), "destroy") {
		t.Errorf("destroy of an open store: %v, want a destroy error wrapping ErrAlreadyOpen", err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	reports = nil // progress of Destroy only
	p.maxListInflight.Store(0)
	p.listGate, p.listFull = 8, make(chan struct{})
	p.listGateOnce = sync.Once{}
	if err := l.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	const total = 65536 + 256
	if len(reports) == 0 || reports[0] != [2]int{0, total} || reports[len(reports)-1] != [2]int{total, total} {
		t.Errorf("destroy progress: %d reports, first/last %v/%v, want 0 and %d of %d", len(reports), first(reports), last(reports), total, total)
	}
	if m := p.maxListInflight.Load(); m != 8 {
		t.Errorf("destroy: at most %d List calls at once, want 8", m)
	}
	if err := l.Open(ctx); !errors.Is(err, kv.ErrNoStore) {
		t.Errorf("open after destroy: %v, want ErrNoStore", err)
	}
	if err := l.Destroy(ctx); !errors.Is(err, kv.ErrNoStore) || !strings.HasPrefix(err.Error(), "destroy") {
		t.Errorf("destroy of a missing store: %v, want a destroy error wrapping ErrNoStore", err)
	}
}

func first(r [][2]int) any {
	if len(r) == 0 {
		return nil
	}
	return r[0]
}

func last(r [][2]int) any {
	if len(r) == 0 {
		return nil
	}
	return r[len(r)-1]
}
