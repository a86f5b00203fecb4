package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/retry"
)

// setup returns an open retry layer with cfg (fast waits unless cfg sets
// them) over a faults layer with rules over a fresh memory driver, and the
// faults layer, whose counts start at zero.
func setup(t *testing.T, cfg retry.Config, rules ...faults.Rule) (*retry.Layer, *faults.Layer) {
	t.Helper()
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff, cfg.MaxBackoff = time.Nanosecond, time.Nanosecond
	}
	f := faults.New(kvtest.OpenStore(t, memory.New("")), rules...)
	return retry.New(f, cfg), f
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection", backendkit.NewError(kv.OpLoad, "a", kv.ErrConnection, errors.New("EOF")), true},
		{"transient", backendkit.NewError(kv.OpLoad, "a", kv.ErrTransient, errors.New("503")), true},
		{"connection timeout of the driver", backendkit.NewError(kv.OpLoad, "a", kv.ErrConnection, context.DeadlineExceeded), true},
		{"plain", errors.New("disk on fire"), false},
		{"context", context.Canceled, false},
		{"not found", backendkit.NewError(kv.OpLoad, "a", kv.ErrNotFound, nil), false},
		{"connection and permission", backendkit.NewError(kv.OpOpen, "", kv.ErrConnection, kv.ErrPermission), false},
		{"transient and quota", errors.Join(kv.ErrTransient, kv.ErrQuotaExceeded), false},
		{"invalid name", backendkit.NewError(kv.OpLoad, "A", kv.ErrInvalidName, nil), false},
		{"unsupported", kv.ErrUnsupported, false},
		{"read range", errors.Join(kv.ErrConnection, kv.ErrReadRange), false},
	} {
		if got := retry.Retryable(tc.err); got != tc.want {
			t.Errorf("%s: Retryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestNotRetried checks that the errors that say something about the
// store, not the link, are returned after one try.
func TestNotRetried(t *testing.T) {
	for _, sentinel := range []error{
		kv.ErrNotFound, kv.ErrPermission, kv.ErrQuotaExceeded, kv.ErrInvalidName,
		kv.ErrUnsupported, kv.ErrReadRange, kv.ErrExists, errors.Join(kv.ErrConnection, kv.ErrPermission),
	} {
		t.Run(sentinel.Error(), func(t *testing.T) {
			l, f := setup(t, retry.Config{}, faults.Rule{Err: sentinel})
			_, err := l.Load(t.Context(), "ns/a")
			if !errors.Is(err, sentinel) || !errors.Is(err, faults.ErrInjected) {
				t.Errorf("load: %v, want the injected %v", err, sentinel)
			}
			if n := f.Calls(kv.OpLoad); n != 1 {
				t.Errorf("%d tries, want 1", n)
			}
		})
	}
	t.Run("real not found", func(t *testing.T) {
		l, f := setup(t, retry.Config{})
		if _, err := l.Load(t.Context(), "ns/missing"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("load of a missing item: %v", err)
		}
		if err := l.Delete(t.Context(), "ns/missing"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("delete of a missing item: %v", err)
		}
		if n := f.Calls(kv.OpLoad) + f.Calls(kv.OpDelete); n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
	})
}

// TestGiveUp checks the bounds: the tries, and the time.
func TestGiveUp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       retry.Config
		rule      faults.Rule
		wantTries int64
	}{
		{"max tries", retry.Config{MaxTries: 3}, faults.Rule{Err: kv.ErrConnection}, 3},
		{"default tries", retry.Config{}, faults.Rule{Err: kv.ErrConnection}, retry.DefaultMaxTries},
		{"transient", retry.Config{MaxTries: 2}, faults.Rule{Err: kv.ErrTransient}, 2},
		{"one try", retry.Config{MaxTries: 1}, faults.Rule{Err: kv.ErrConnection}, 1},
		// The first wait would end after MaxElapsed: it is not begun.
		{"max elapsed", retry.Config{InitialBackoff: time.Hour, MaxElapsed: time.Second}, faults.Rule{Err: kv.ErrConnection}, 1},
		// Lost replies fail as refused requests do.
		{"lost replies", retry.Config{MaxTries: 4}, faults.Rule{Err: kv.ErrConnection, Mode: faults.LoseReply}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, f := setup(t, tc.cfg, tc.rule)
			err := l.Store(t.Context(), "ns/a", []byte("v"))
			if !errors.Is(err, tc.rule.Err) || !errors.Is(err, faults.ErrInjected) {
				t.Errorf("store: %v, want the last error wrapped", err)
			}
			if want := fmt.Sprintf("gave up after %d tries", tc.wantTries); !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("store: %q does not say %q", err, want)
			}
			if n := f.Calls(kv.OpStore); n != tc.wantTries {
				t.Errorf("%d tries, want %d", n, tc.wantTries)
			}
		})
	}
}

// TestCancelled checks that a call whose context is done is not retried,
// and that a cancel ends the wait between tries.
func TestCancelled(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		l, f := setup(t, retry.Config{}, faults.Rule{Err: kv.ErrConnection})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := l.Load(ctx, "ns/a"); !errors.Is(err, context.Canceled) {
			t.Errorf("load with a cancelled context: %v", err)
		}
		if n := f.Calls(kv.OpLoad); n != 1 {
			t.Errorf("%d tries, want 1", n)
		}
	})
	t.Run("during the wait", func(t *testing.T) {
		// An hour's wait, which only the cancel ends.
		l, f := setup(t, retry.Config{InitialBackoff: time.Hour, MaxBackoff: time.Hour, MaxElapsed: -1},
			faults.Rule{Err: kv.ErrConnection})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			for f.Calls(kv.OpLoad) == 0 {
				runtime.Gosched()
			}
			cancel()
		}()
		_, err := l.Load(ctx, "ns/a")
		if !errors.Is(err, context.Canceled) || !errors.Is(err, kv.ErrConnection) {
			t.Errorf("load cancelled while waiting: %v, want the context's error and the last one", err)
		}
		if n := f.Calls(kv.OpLoad); n != 1 {
			t.Errorf("%d tries, want 1", n)
		}
	})
}

// TestGoneOnRetry checks that a Delete, Move, Rmdir, Destroy or Open whose
// first try did the work but lost its reply succeeds on the retry that
// finds the work done.
func TestGoneOnRetry(t *testing.T) {
	lost := func(op kv.Op) faults.Rule {
		return faults.Rule{Ops: []kv.Op{op}, Times: 1, Err: kv.ErrConnection, Mode: faults.LoseReply}
	}
	ctx := t.Context()
	for _, tc := range []struct {
		op    kv.Op
		call  func(l *retry.Layer) error
		check func(t *testing.T, l *retry.Layer)
	}{
		{kv.OpDelete, func(l *retry.Layer) error { return l.Delete(ctx, "ns/a") }, func(t *testing.T, l *retry.Layer) {
			if info, _ := l.Info(ctx, "ns/a"); info.Exists {
				t.Error("ns/a still there")
			}
		}},
		{kv.OpMove, func(l *retry.Layer) error { return l.Move(ctx, "ns/a", "ns/b") }, func(t *testing.T, l *retry.Layer) {
			if v, err := l.Load(ctx, "ns/b"); err != nil || string(v) != "value" {
				t.Errorf("ns/b: %q, %v", v, err)
			}
		}},
		{kv.OpRmdir, func(l *retry.Layer) error { return l.Rmdir(ctx, "empty") }, func(t *testing.T, l *retry.Layer) {
			if info, _ := l.Info(ctx, "empty"); info.Exists {
				t.Error("empty still there")
			}
		}},
	} {
		t.Run(tc.op.String(), func(t *testing.T) {
			l, f := setup(t, retry.Config{}, lost(tc.op))
			if err := l.Store(ctx, "ns/a", []byte("value")); err != nil {
				t.Fatal(err)
			}
			if err := l.Mkdir(ctx, "empty"); err != nil {
				t.Fatal(err)
			}
			if err := tc.call(l); err != nil {
				t.Errorf("%s with a lost reply: %v, want done", tc.op, err)
			}
			if n := f.Calls(tc.op); n != 2 {
				t.Errorf("%d tries, want 2", n)
			}
			tc.check(t, l)
		})
	}
	for _, op := range []kv.Op{kv.OpOpen, kv.OpDestroy} {
		t.Run(op.String(), func(t *testing.T) {
			f := faults.New(memory.New(""), lost(op))
			l := retry.New(f, fast)
			if err := l.Create(ctx); err != nil {
				t.Fatal(err)
			}
			if err := l.Open(ctx); err != nil {
				t.Errorf("open with a lost reply: %v", err)
			}
			if err := l.Close(ctx); err != nil {
				t.Errorf("close: %v", err)
			}
			if err := l.Destroy(ctx); err != nil {
				t.Errorf("destroy with a lost reply: %v", err)
			}
			if n := f.Calls(op); n != 2 {
				t.Errorf("%d tries of %s, want 2", n, op)
			}
		})
	}
}

// TestMoveFoundNothing checks that a Move whose first try lost its reply
// and whose retry finds the source gone is kv.ErrNotFound when the
// destination is missing too (nothing was moved: the source was missing
// all along), and done when the destination is there (the first try most
// likely moved it).
func TestMoveFoundNothing(t *testing.T) {
	ctx := t.Context()
	lost := faults.Rule{Ops: []kv.Op{kv.OpMove}, Times: 1, Err: kv.ErrConnection, Mode: faults.LoseReply}
	l, f := setup(t, retry.Config{}, lost)
	if err := l.Move(ctx, "ns/missing", "ns/nowhere"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("move of a missing item to a missing destination, reply lost: %v, want %v", err, kv.ErrNotFound)
	}
	if n := f.Calls(kv.OpMove); n != 2 {
		t.Errorf("%d tries, want 2", n)
	}
	if info, _ := l.Info(ctx, "ns/nowhere"); info.Exists {
		t.Error("ns/nowhere appeared")
	}
}

// TestValuesWhole stores and loads values through faults that refuse,
// lose the reply of, or cut short one call in three: every value arrives
// whole.
func TestValuesWhole(t *testing.T) {
	for _, mode := range []faults.Mode{faults.Refuse, faults.LoseReply, faults.CutShort} {
		t.Run(mode.String(), func(t *testing.T) {
			rule := faults.Rule{Ops: []kv.Op{kv.OpLoad, kv.OpStore}, Every: 3, Err: kv.ErrConnection, Mode: mode}
			l, f := setup(t, retry.Config{}, rule)
			ctx := t.Context()
			const n = 30
			for i := range n {
				v := bytes.Repeat([]byte{byte(i)}, 1000+i)
				if err := l.Store(ctx, fmt.Sprintf("ns/%02d", i), v); err != nil {
					t.Fatalf("store %d: %v", i, err)
				}
			}
			for i := range n {
				v, err := l.Load(ctx, fmt.Sprintf("ns/%02d", i))
				if err != nil || !bytes.Equal(v, bytes.Repeat([]byte{byte(i)}, 1000+i)) {
					t.Fatalf("load %d: %d bytes, %v; want the whole value", i, len(v), err)
				}
			}
			calls := f.Calls(kv.OpStore) + f.Calls(kv.OpLoad)
			// 60 calls that succeed, and one failure after each two: 89
			// calls, of which 29 fail.
			if want := int64(2*n + (2*n-1)/2); calls != want {
				t.Errorf("%d backend calls for %d stores and loads, want %d", calls, 2*n, want)
			}
			if inj := f.Injected(kv.OpStore) + f.Injected(kv.OpLoad); inj != calls/3 {
				t.Errorf("%d faults in %d calls, want one in three", inj, calls)
			}
		})
	}
}

// TestList checks that a List is retried when it fails before its first
// entry, and not once an entry is out.
func TestList(t *testing.T) {
	ctx := t.Context()
	fill := func(t *testing.T, l kv.Backend) {
		for _, k := range []string{"a", "b", "c", "d"} {
			if err := l.Store(ctx, "ns/"+k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name      string
		mode      faults.Mode
		wantNames string
		wantErr   bool
		wantTries int64
	}{
		{"refused", faults.Refuse, "abcd", false, 2},
		{"reply lost", faults.LoseReply, "abcd", false, 2},
		{"cut short", faults.CutShort, "ab", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, f := setup(t, retry.Config{}, faults.Rule{Ops: []kv.Op{kv.OpList}, Times: 1, Err: kv.ErrConnection, Mode: tc.mode})
			fill(t, l)
			names := ""
			var failed error
			for it, err := range l.List(ctx, "ns") {
				if err != nil {
					failed = err
					continue
				}
				names += it.Name
			}
			if names != tc.wantNames || (failed != nil) != tc.wantErr {
				t.Errorf("list: %q, error %v; want %q, error %v", names, failed, tc.wantNames, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(failed, kv.ErrConnection) {
				t.Errorf("list cut short: %v, want the connection error", failed)
			}
			if n := f.Calls(kv.OpList); n != tc.wantTries {
				t.Errorf("%d tries, want %d", n, tc.wantTries)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := retry.New(memory.New(""), retry.Config{}).Config()
	want := retry.Config{
		MaxTries: retry.DefaultMaxTries, MaxElapsed: retry.DefaultMaxElapsed,
		InitialBackoff: retry.DefaultInitialBackoff, MaxBackoff: retry.DefaultMaxBackoff, Jitter: retry.DefaultJitter,
	}
	if got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	custom := retry.Config{MaxTries: 2, MaxElapsed: -1, InitialBackoff: time.Second, MaxBackoff: time.Minute, Jitter: -1}
	if got := retry.New(memory.New(""), custom).Config(); got != custom {
		t.Errorf("custom: %+v, want it kept", got)
	}
}
