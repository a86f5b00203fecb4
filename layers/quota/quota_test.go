package quota_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/quota"
)

// usage returns the usage the layer reports, failing the test on an error.
func usage(t *testing.T, l *quota.Layer) int64 {
	t.Helper()
	q, err := l.Quota(t.Context())
	if err != nil {
		t.Fatalf("quota: %v", err)
	}
	return q.Usage
}

// stored returns the bytes held in the items of b, walking every directory
// through b.
func stored(t *testing.T, b kv.Backend) int64 {
	t.Helper()
	var total int64
	dirs := []string{""}
	for len(dirs) > 0 {
		dir := dirs[0]
		dirs = dirs[1:]
		for it, err := range b.List(t.Context(), dir) {
			if err != nil {
				t.Fatalf("list %q: %v", dir, err)
			}
			name := it.Name
			if dir != "" {
				name = dir + "/" + name
			}
			if it.Directory {
				dirs = append(dirs, name)
			} else {
				total += it.Size
			}
		}
	}
	return total
}

// TestAccounting runs a sequence of calls on a layer with a limit of 100
// bytes and checks the error and the usage after each.
func TestAccounting(t *testing.T) {
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), 100))
	v := func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
	steps := []struct {
		what  string
		call  func(context.Context) error
		err   error
		usage int64
	}{
		{"store 40 new", func(c context.Context) error { return l.Store(c, "ns/a", v(40)) }, nil, 40},
		{"store 30 new", func(c context.Context) error { return l.Store(c, "ns/b", v(30)) }, nil, 70},
		{"overwrite 40 with 60", func(c context.Context) error { return l.Store(c, "ns/a", v(60)) }, nil, 90},
		{"store 11 new: past the limit", func(c context.Context) error { return l.Store(c, "ns/c", v(11)) }, kv.ErrQuotaExceeded, 90},
		{"overwrite 30 with 41: past the limit", func(c context.Context) error { return l.Store(c, "ns/b", v(41)) }, kv.ErrQuotaExceeded, 90},
		{"store 10 new: up to the limit", func(c context.Context) error { return l.Store(c, "ns/c", v(10)) }, nil, 100},
		{"overwrite 60 with 5", func(c context.Context) error { return l.Store(c, "ns/a", v(5)) }, nil, 45},
		{"overwrite 5 with 5", func(c context.Context) error { return l.Store(c, "ns/a", v(5)) }, nil, 45},
		{"store empty", func(c context.Context) error { return l.Store(c, "ns/e", nil) }, nil, 45},
		{"delete 30", func(c context.Context) error { return l.Delete(c, "ns/b") }, nil, 15},
		{"delete missing", func(c context.Context) error { return l.Delete(c, "ns/b") }, kv.ErrNotFound, 15},
		{"move 10 to a new name", func(c context.Context) error { return l.Move(c, "ns/c", "ns/d") }, nil, 15},
		{"move 10 over 5", func(c context.Context) error { return l.Move(c, "ns/d", "ns/a") }, nil, 10},
		{"move missing", func(c context.Context) error { return l.Move(c, "ns/d", "ns/a") }, kv.ErrNotFound, 10},
		{"defrag 7 bytes", func(c context.Context) error {
			_, err := l.Defrag(c, []kv.Block{{Name: "ns/a", Size: 7}}, kv.Target("ns/f"))
			return err
		}, nil, 17},
		{"defrag 90 bytes: past the limit", func(c context.Context) error {
			_, err := l.Defrag(c, []kv.Block{{Name: "ns/a", Size: 10}, {Name: "ns/f", Size: 7}, {Name: "ns/a", Size: 10},
				{Name: "ns/a", Size: 10}, {Name: "ns/a", Size: 10}, {Name: "ns/a", Size: 10}, {Name: "ns/a", Size: 10},
				{Name: "ns/a", Size: 10}, {Name: "ns/a", Size: 10}, {Name: "ns/f", Size: 3}}, kv.Target("ns/g"))
			return err
		}, kv.ErrQuotaExceeded, 17},
		{"store with an option the driver refuses", func(c context.Context) error {
			return l.Store(c, "ns/h", v(5), kv.Range(0, 1))
		}, kv.ErrUnsupported, 17},
		{"store under an invalid name", func(c context.Context) error { return l.Store(c, "ns/Bad", v(5)) }, kv.ErrInvalidName, 17},
		{"store over a directory", func(c context.Context) error { return l.Store(c, "ns", v(5)) }, errAny, 17},
		{"mkdir and rmdir", func(c context.Context) error {
			return errors.Join(l.Mkdir(c, "ns/dir"), l.Rmdir(c, "ns/dir"))
		}, nil, 17},
	}
	for _, s := range steps {
		err := s.call(t.Context())
		switch {
		case s.err == nil && err != nil:
			t.Fatalf("%s: %v", s.what, err)
		case s.err == errAny && err == nil:
			t.Fatalf("%s: no error", s.what)
		case s.err != nil && s.err != errAny && !errors.Is(err, s.err):
			t.Fatalf("%s: %v, want %v", s.what, err, s.err)
		}
		if got := usage(t, l); got != s.usage {
			t.Fatalf("%s: usage %d, want %d", s.what, got, s.usage)
		}
		if got := stored(t, l); got != s.usage {
			t.Fatalf("%s: the store holds %d bytes, the usage is %d", s.what, got, s.usage)
		}
	}
	// The refused overwrite kept the old value.
	if got, err := l.Load(t.Context(), "ns/a"); err != nil || len(got) != 10 {
		t.Errorf("ns/a after the refused calls: %d bytes, %v", len(got), err)
	}
}

// errAny stands for any error in the tables.
var errAny = errors.New("any error")

// TestExceededMessage checks that a refusal says what it would take.
func TestExceededMessage(t *testing.T) {
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), 10))
	err := l.Store(t.Context(), "ns/a", make([]byte, 11))
	want := `store "ns/a": quota exceeded: 11 more bytes would take the usage from 0 past the limit of 10`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestConcurrentLimit runs 16 goroutines that store new items and
// overwrite shared ones, with sizes that vary, until the limit refuses
// them: the usage never passes the limit, equals the bytes the store
// holds, and every Store that succeeded is there.
func TestConcurrentLimit(t *testing.T) {
	const (
		workers = 16
		limit   = 200_000
	)
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), limit))
	ctx := t.Context()
	var (
		mu   sync.Mutex
		kept = map[string][]byte{} // the last successful value of each own name
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			refused := 0
			for i := 0; refused < 20; i++ {
				size := 100 + (w*7919+i*104729)%2900
				value := bytes.Repeat([]byte{byte('a' + w)}, size)
				own := fmt.Sprintf("conc/w%02d/%04d", w, i)
				if i%3 == 2 {
					own = fmt.Sprintf("conc/w%02d/%04d", w, i-1) // an overwrite of one's own
				}
				err := l.Store(ctx, own, value)
				switch {
				case errors.Is(err, kv.ErrQuotaExceeded):
					refused++
				case err != nil:
					t.Errorf("store %s: %v", own, err)
					return
				default:
					mu.Lock()
					kept[own] = value
					mu.Unlock()
				}
				// A shared item that all overwrite, growing and shrinking.
				_ = l.Store(ctx, fmt.Sprintf("conc/shared%d", i%4), value[:size%1500])
				if q, _ := l.Quota(ctx); q.Usage > limit {
					t.Errorf("usage %d passed the limit %d", q.Usage, limit)
				}
			}
		})
	}
	wg.Wait()
	got := usage(t, l)
	if held := stored(t, l); got != held {
		t.Errorf("usage %d, but the store holds %d bytes", got, held)
	}
	if got > limit || got < limit-3000*2 {
		t.Errorf("usage %d: want it at most %d and near it", got, limit)
	}
	for name, want := range kept {
		if v, err := l.Load(ctx, name); err != nil || !bytes.Equal(v, want) {
			t.Errorf("%s: lost (%d bytes, %v), want %d bytes", name, len(v), err, len(want))
		}
	}
}

// TestNoLimit checks that a negative limit counts without limiting.
func TestNoLimit(t *testing.T) {
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), -5))
	if err := l.Store(t.Context(), "ns/a", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if q, err := l.Quota(t.Context()); err != nil || q != (kv.Quota{Limit: -1, Usage: 1000}) {
		t.Errorf("quota %+v, %v; want limit -1, usage 1000", q, err)
	}
	if l.Limit() != -1 {
		t.Errorf("Limit() = %d", l.Limit())
	}
}

// TestRecordHidden checks that the record never shows and cannot be
// reached through the layer.
func TestRecordHidden(t *testing.T) {
	d := memory.New(t.Name())
	l := kvtest.OpenStore(t, quota.New(d, 1000))
	ctx := t.Context()
	if err := l.Store(ctx, "top", []byte("v")); err != nil {
		t.Fatal(err)
	}
	var names []string
	for it, err := range l.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, it.Name)
	}
	if strings.Join(names, ",") != "top" {
		t.Errorf("list of the root: %q, want only top", names)
	}
	name := quota.RecordName
	_, err := l.Load(ctx, name)
	for what, err := range map[string]error{
		"load":   err,
		"store":  l.Store(ctx, name, []byte("0")),
		"delete": l.Delete(ctx, name),
		"move":   l.Move(ctx, "top", name),
		"info":   errOf(l.Info(ctx, name)),
	} {
		if !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("%s of the record: %v, want kv.ErrInvalidName", what, err)
		}
	}
	if _, err := d.Load(ctx, name, quota.RecordOpts...); err != nil {
		t.Errorf("the record is not in the store: %v", err)
	}
}

// errOf returns the error of a call with two results.
func errOf[T any](_ T, err error) error { return err }
