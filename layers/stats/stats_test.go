package stats_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/stats"
)

// clock is a fake clock: it moves only when told, or by tick on every
// reading when tick is set.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	tick time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.tick)
	return t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newStore returns an open memory store under a stats layer with the clock
// c (nil: the real one).
func newStore(t testing.TB, c *clock) (*stats.Layer, kv.Backend) {
	t.Helper()
	drv := memory.New("")
	var opts []stats.Option
	if c != nil {
		opts = append(opts, stats.WithClock(c.now))
	}
	st := stats.New(drv, opts...)
	return kvtest.OpenStore(t, st), drv
}

func TestBackend(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return stats.New(memory.New(""))
	})
}

func TestZeroSnapshot(t *testing.T) {
	s := stats.New(memory.New("zero")).Snapshot()
	if len(s.Ops) != len(stats.OpNames()) {
		t.Fatalf("snapshot has %d ops, want %d", len(s.Ops), len(stats.OpNames()))
	}
	for _, name := range stats.OpNames() {
		o, ok := s.Ops[name]
		if !ok || o != (stats.OpStats{}) {
			t.Errorf("op %q: %+v, present %v; want zeros", name, o, ok)
		}
	}
	if got := s.String(); got != "no calls" {
		t.Errorf("String() = %q", got)
	}
}

// TestScripted runs a scripted sequence, failures included, with a clock
// that moves 1 ms per reading, so that every call takes exactly 1 ms.
func TestScripted(t *testing.T) {
	ms := time.Millisecond
	st, _ := newStore(t, &clock{tick: ms})
	st.Reset() // forget create and open
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	steps := []struct {
		name    string
		call    func() error
		wantErr bool
	}{
		{"store a", func() error { return st.Store(ctx, "ns/a", []byte("hello")) }, false},
		{"store b", func() error { return st.Store(ctx, "ns/b", make([]byte, 10)) }, false},
		{"store invalid", func() error { return st.Store(ctx, "ns/Bad", []byte("x")) }, true},
		{"load a", func() error { _, err := st.Load(ctx, "ns/a"); return err }, false},
		{"load range", func() error { _, err := st.Load(ctx, "ns/a", kv.Range(1, 2)); return err }, false},
		{"load missing", func() error { _, err := st.Load(ctx, "ns/zz"); return err }, true},
		{"load cancelled", func() error { _, err := st.Load(cancelled, "ns/a"); return err }, true},
		{"info a", func() error { _, err := st.Info(ctx, "ns/a"); return err }, false},
		{"info missing", func() error { _, err := st.Info(ctx, "ns/zz"); return err }, false},
		{"delete b", func() error { return st.Delete(ctx, "ns/b") }, false},
		{"delete b again", func() error { return st.Delete(ctx, "ns/b") }, true},
		{"move a c", func() error { return st.Move(ctx, "ns/a", "ns/c") }, false},
		{"move missing", func() error { return st.Move(ctx, "ns/a", "ns/d") }, true},
		{"hash c", func() error { _, err := st.Hash(ctx, "ns/c", "sha256"); return err }, false},
		{"hash bad algorithm", func() error { _, err := st.Hash(ctx, "ns/c", "crc0"); return err }, true},
		{"defrag", func() error {
			_, err := st.Defrag(ctx, []kv.Block{{Name: "ns/c", Offset: 0, Size: 4}}, kv.Target("ns/e"))
			return err
		}, false},
		{"mkdir", func() error { return st.Mkdir(ctx, "dir") }, false},
		{"rmdir", func() error { return st.Rmdir(ctx, "dir") }, false},
		{"rmdir missing", func() error { return st.Rmdir(ctx, "dir") }, true},
		{"list ns", func() error { return kvtest.Drain(st.List(ctx, "ns")) }, false},
		{"list missing", func() error { return kvtest.Drain(st.List(ctx, "nope")) }, true},
	}
	for _, s := range steps {
		if err := s.call(); (err != nil) != s.wantErr {
			t.Fatalf("%s: error %v, want error: %v", s.name, err, s.wantErr)
		}
	}
	// list ns: readings before the iteration, around each of the 2
	// items (c, e) and after it: 1 ms per gap inside the backend = 3 ms;
	// list missing: up to the error, where drain stops = 1 ms.
	// Not found and a cancelled context are expected errors, not failures.
	// One call at a time: the wall time is the summed time (List's is
	// not tracked).
	want := map[string]stats.OpStats{
		"store":  {Calls: 3, Errors: 1, Time: 3 * ms, Wall: 3 * ms, Bytes: 15},
		"load":   {Calls: 4, Expected: 2, Time: 4 * ms, Wall: 4 * ms, Bytes: 7},
		"info":   {Calls: 2, Time: 2 * ms, Wall: 2 * ms},
		"delete": {Calls: 2, Expected: 1, Time: 2 * ms, Wall: 2 * ms},
		"move":   {Calls: 2, Expected: 1, Time: 2 * ms, Wall: 2 * ms},
		"hash":   {Calls: 2, Errors: 1, Time: 2 * ms, Wall: 2 * ms},
		"defrag": {Calls: 1, Time: ms, Wall: ms, Bytes: 4},
		"mkdir":  {Calls: 1, Time: ms, Wall: ms},
		"rmdir":  {Calls: 2, Expected: 1, Time: 2 * ms, Wall: 2 * ms},
		"list":   {Calls: 2, Expected: 1, Time: 4 * ms},
	}
	got := st.Snapshot()
	for _, name := range stats.OpNames() {
		if got.Ops[name] != want[name] {
			t.Errorf("%s: got %+v, want %+v", name, got.Ops[name], want[name])
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); !errors.Is(err, kv.ErrNotOpen) {
		t.Fatalf("second close: %v", err)
	}
	if got := st.Snapshot().Ops["close"]; got != (stats.OpStats{Calls: 2, Errors: 1, Time: 2 * ms, Wall: 2 * ms}) {
		t.Errorf("close: %+v", got)
	}
	if got, want := st.Snapshot().Ops["load"].Throughput(), 7/(4*ms).Seconds(); got != want {
		t.Errorf("load throughput %v, want %v", got, want)
	}
}

// slowList is a backend whose List takes per (on the fake clock) before
// each entry it yields.
type slowList struct {
	kv.Backend
	clock *clock
	per   time.Duration
}

func (s slowList) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		for it, err := range s.Backend.List(ctx, name, opts...) {
			s.clock.advance(s.per)
			if !yield(it, err) {
				return
			}
		}
	}
}

// TestListTimeExcludesLoopBody checks that only the time inside the
// backend's iterator counts: the loop body moves the clock by an hour per
// entry, the backend by 1 ms.
func TestListTimeExcludesLoopBody(t *testing.T) {
	c := &clock{}
	_, drv := newStore(t, nil)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		if err := drv.Store(ctx, "ns/"+k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	st := stats.New(slowList{Backend: drv, clock: c, per: time.Millisecond}, stats.WithClock(c.now))
	for _, stop := range []int{-1, 2} { // all 4 entries; break after 2
		st.Reset()
		n := 0
		for _, err := range st.List(ctx, "ns") {
			if err != nil {
				t.Fatal(err)
			}
			c.advance(time.Hour)
			if n++; n == stop {
				break
			}
		}
		want := stats.OpStats{Calls: 1, Time: time.Duration(n) * time.Millisecond}
		if got := st.Snapshot().Ops["list"]; got != want {
			t.Errorf("stop at %d: list %+v, want %+v", stop, got, want)
		}
	}
	// A List result never ranged is no call.
	st.Reset()
	_ = st.List(ctx, "ns")
	if got := st.Snapshot().Ops["list"]; got.Calls != 0 {
		t.Errorf("unranged list counted: %+v", got)
	}
}

// TestConcurrent checks that counts are exact with 16 goroutines.
func TestConcurrent(t *testing.T) {
	st, _ := newStore(t, nil)
	st.Reset()
	ctx := context.Background()
	const workers, rounds = 16, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			name := fmt.Sprintf("ns/w%d", w)
			value := make([]byte, 100)
			for range rounds {
				if err := st.Store(ctx, name, value); err != nil {
					t.Error(err)
					return
				}
				if _, err := st.Load(ctx, name); err != nil {
					t.Error(err)
					return
				}
				if _, err := st.Load(ctx, name+"-missing"); err == nil {
					t.Error("load of a missing item succeeded")
					return
				}
			}
		})
	}
	wg.Wait()
	s := st.Snapshot()
	const n = workers * rounds
	if o := s.Ops["store"]; o.Calls != n || o.Errors != 0 || o.Bytes != 100*n {
		t.Errorf("store %+v", o)
	}
	if o := s.Ops["load"]; o.Calls != 2*n || o.Errors != 0 || o.Expected != n || o.Bytes != 100*n {
		t.Errorf("load %+v", o)
	}
	if o := s.Total(); o.Calls != 3*n || o.Errors != 0 || o.Expected != n {
		t.Errorf("total %+v", o)
	}
	if d := s.Sub(s); d.Total() != (stats.OpStats{}) {
		t.Errorf("s.Sub(s) = %+v", d.Total())
	}
}

// gatedStore is a backend whose Store waits until gate is closed, after
// telling entered.
type gatedStore struct {
	kv.Backend
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	g.entered <- struct{}{}
	<-g.gate
	return g.Backend.Store(ctx, name, value, opts...)
}

// TestWallTime checks that calls in parallel count their wall time once:
// 8 stores of 1 KiB that all run during the same second (on the fake
// clock) take 8 s of call time, 1 s of wall time, and a throughput of
// 8 KiB/s, not 1 KiB/s. Two such rounds a minute apart are 2 s of wall
// time: the idle minute between them does not count.
func TestWallTime(t *testing.T) {
	c := &clock{}
	drv := kvtest.OpenStore(t, memory.New(""))
	g := &gatedStore{Backend: drv, entered: make(chan struct{})}
	st := stats.New(g, stats.WithClock(c.now))
	ctx := context.Background()
	const n = 8
	value := make([]byte, 1024)
	for round := range 2 {
		g.gate = make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := st.Store(ctx, fmt.Sprintf("ns/%d-%d", round, i), value); err != nil {
					t.Error(err)
				}
			})
		}
		for range n {
			<-g.entered // every call has begun at the same clock reading
		}
		c.advance(time.Second)
		close(g.gate)
		wg.Wait()
		c.advance(time.Minute)
	}
	o := st.Snapshot().Ops["store"]
	if o.Calls != 2*n || o.Time != 2*n*time.Second || o.Wall != 2*time.Second {
		t.Errorf("store %+v, want %d calls, %v time, 2s wall", o, 2*n, 2*n*time.Second)
	}
	if got, want := o.Throughput(), float64(2*n*1024)/2; got != want {
		t.Errorf("throughput %v B/s, want %v", got, want)
	}
	if s := st.Snapshot().String(); !strings.Contains(s, "8.0 KiB/s") {
		t.Errorf("table:\n%s\nwant a store rate of 8.0 KiB/s", s)
	}
}
