package nesting

import (
	"errors"
	"slices"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

func TestCreatePrecreates(t *testing.T) {
	tests := []struct {
		levels      map[string][]int
		precreate   bool
		count       int
		first, last string
	}{
		{map[string][]int{"data/": {1}}, true, 256, "data/00", "data/ff"},
		{map[string][]int{"data/": {2}}, true, 65536, "data/00/00", "data/ff/ff"},
		{map[string][]int{"data/": {1, 2}, "config/": {0}}, true, 65537, "config", "data/ff/ff"},
		{map[string][]int{"a/b/": {1}, "": {0}}, true, 256, "a/b/00", "a/b/ff"},
		{map[string][]int{"": {0}}, true, 0, "", ""},
		// Without pre-creation, the namespaces alone.
		{map[string][]int{"data/": {2}, "config/": {0}, "": {0}}, false, 2, "config", "data"},
		{map[string][]int{"": {1}}, false, 0, "", ""},
	}
	for _, tt := range tests {
		p := newProbe(memory.New(""))
		p.precreate = tt.precreate
		l, err := New(p, tt.levels, WithConcurrency(7))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if err := l.Create(ctx); err != nil {
			t.Fatalf("create %v: %v", tt.levels, err)
		}
		// Create leaves the store closed.
		if err := l.Open(ctx); err != nil {
			t.Fatalf("open after create %v: %v", tt.levels, err)
		}
		slices.Sort(p.mkdirs)
		if len(p.mkdirs) != tt.count || len(slices.Compact(slices.Clone(p.mkdirs))) != tt.count {
			t.Errorf("create %v: %d mkdirs, want %d distinct", tt.levels, len(p.mkdirs), tt.count)
		} else if tt.count > 0 && (p.mkdirs[0] != tt.first || p.mkdirs[tt.count-1] != tt.last) {
			t.Errorf("create %v: mkdirs %s..%s, want %s..%s", tt.levels, p.mkdirs[0], p.mkdirs[tt.count-1], tt.first, tt.last)
		}
		if tt.count > 1 {
			if info, err := p.Info(ctx, tt.last); err != nil || !info.Directory {
				t.Errorf("info %s = %+v, %v; want a directory", tt.last, info, err)
			}
		}
		_ = l.Close(ctx)
		_ = l.Destroy(ctx)
	}
}

func TestCreateConcurrencyAndProgress(t *testing.T) {
	for _, n := range []int{1, 8, 300} {
		p := newProbe(memory.New(""))
		p.precreate = true
		p.gate = int64(min(n, 256))
		var reports [][2]int
		l, err := New(p, map[string][]int{"data/": {1}}, WithConcurrency(n),
			WithProgress(func(done, total int) { reports = append(reports, [2]int{done, total}) }))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Create(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := p.maxInflight.Load(); got != p.gate {
			t.Errorf("concurrency %d: at most %d mkdirs in flight, want %d", n, got, p.gate)
		}
		if len(reports) != 257 || reports[0] != [2]int{0, 256} || reports[256] != [2]int{256, 256} {
			t.Errorf("concurrency %d: %d progress reports, %v..%v", n, len(reports), reports[0], reports[len(reports)-1])
		}
		for i := 1; i < len(reports); i++ {
			if reports[i][0] < reports[i-1][0] {
				t.Errorf("progress went back: %v after %v", reports[i], reports[i-1])
			}
		}
		_ = l.Destroy(t.Context())
	}
}

func TestCreateProgressIsSparse(t *testing.T) {
	p := newProbe(memory.New(""))
	p.precreate = true
	calls, last := 0, 0
	l, err := New(p, map[string][]int{"data/": {2}},
		WithProgress(func(done, total int) { calls, last = calls+1, done }))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls > 1100 || last != 65536 {
		t.Errorf("%d progress calls, last at %d; want at most ~1000, ending at 65536", calls, last)
	}
	_ = l.Destroy(t.Context())
}

func TestCreateStopsOnError(t *testing.T) {
	p := newProbe(memory.New(""), faults.Rule{Ops: []kv.Op{kv.OpMkdir}, Prefix: "data/80", Err: kv.ErrPermission})
	p.precreate = true
	l, err := New(p, map[string][]int{"data/": {1}}, WithConcurrency(4))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := l.Create(ctx); !errors.Is(err, kv.ErrPermission) || !errors.Is(err, faults.ErrInjected) {
		t.Errorf("create: %v, want the mkdir error", err)
	}
	if n := len(p.mkdirs); n >= 255 {
		t.Errorf("%d mkdirs after the failure, want fewer", n)
	}
	if err := l.Open(ctx); err != nil {
		t.Errorf("open after failed create: %v (store left open?)", err)
	}
	_ = l.Close(ctx)
	_ = l.Destroy(ctx)
}
