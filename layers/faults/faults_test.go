package faults_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
)

// TestBackend runs the driver conformance suite on the layer with no rules
// over the memory driver, and with a rule that only delays.
func TestBackend(t *testing.T) {
	t.Run("no-rules", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return faults.New(memory.New("")) })
	})
	t.Run("latency", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			return faults.New(memory.New(""), faults.Rule{Every: 10, Latency: time.Microsecond, Jitter: time.Microsecond})
		})
	})
}

// setup returns an open faults layer with rules over a fresh memory
// driver, with its counts at zero. Rules without operations apply to Info
// only, so that the store opens and closes undisturbed.
func setup(t *testing.T, rules ...faults.Rule) *faults.Layer {
	t.Helper()
	for i := range rules {
		if rules[i].Ops == nil {
			rules[i].Ops = []kv.Op{kv.OpInfo}
		}
	}
	l := kvtest.OpenStore(t, faults.New(memory.New(""), rules...))
	l.Reset()
	return l
}

// pattern makes n Info calls on name and returns which failed, as a string
// of '.' (passed) and 'x' (failed).
func pattern(t *testing.T, l kv.Backend, n int, name string) string {
	var b strings.Builder
	for range n {
		if _, err := l.Info(t.Context(), name); err != nil {
			if !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("info: %v, not an injected fault", err)
			}
			b.WriteByte('x')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestWhen(t *testing.T) {
	fail := kv.ErrConnection
	for _, tc := range []struct {
		name  string
		rules []faults.Rule
		call  string
		want  string
	}{
		{"always", []faults.Rule{{Err: fail}}, "ns/a", "xxxxxxxxxx"},
		{"every 3rd", []faults.Rule{{Every: 3, Err: fail}}, "ns/a", "..x..x..x."},
		{"after 4", []faults.Rule{{After: 4, Err: fail}}, "ns/a", "....xxxxxx"},
		{"every 2nd after 5", []faults.Rule{{After: 5, Every: 2, Err: fail}}, "ns/a", "......x.x."},
		{"twice", []faults.Rule{{Every: 2, Times: 2, Err: fail}}, "ns/a", ".x.x......"},
		{"once after 1", []faults.Rule{{After: 1, Times: 1, Err: fail}}, "ns/a", ".x........"},
		{"other op", []faults.Rule{{Ops: []kv.Op{kv.OpLoad}, Err: fail}}, "ns/a", ".........."},
		{"this op", []faults.Rule{{Ops: []kv.Op{kv.OpLoad, kv.OpInfo}, Err: fail}}, "ns/a", "xxxxxxxxxx"},
		{"other prefix", []faults.Rule{{Prefix: "data/", Err: fail}}, "ns/a", ".........."},
		{"this prefix", []faults.Rule{{Prefix: "ns/", Every: 5, Err: fail}}, "ns/a", "....x....x"},
		{"delay only", []faults.Rule{{Latency: time.Nanosecond}}, "ns/a", ".........."},
		{"two rules", []faults.Rule{{Every: 5, Err: fail}, {After: 8, Err: fail}}, "ns/a", "....x...xx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setup(t, tc.rules...)
			if got := pattern(t, l, len(tc.want), tc.call); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if n := l.Calls(kv.OpInfo); n != int64(len(tc.want)) {
				t.Errorf("Calls(info) = %d, want %d", n, len(tc.want))
			}
			if n, want := l.Injected(kv.OpInfo), int64(strings.Count(tc.want, "x")); n != want {
				t.Errorf("Injected(info) = %d, want %d", n, want)
			}
		})
	}
}

// TestSeed checks that a probability rule gives the same faults for the
// same seed, other faults for another, and about the asked share.
func TestSeed(t *testing.T) {
	run := func(seed uint64) string {
		return pattern(t, setup(t, faults.Rule{Probability: 0.3, Seed: seed, Err: kv.ErrConnection}), 400, "ns/a")
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Errorf("seed 42 gave two sequences:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("seeds 42 and 43 gave the same sequence")
	}
	if n := strings.Count(a, "x"); n < 80 || n > 160 {
		t.Errorf("%d faults in 400 calls at p = 0.3", n)
	}
}

// TestConcurrent checks that the rules count exactly under concurrency.
func TestConcurrent(t *testing.T) {
	l := setup(t, faults.Rule{Every: 4, Err: kv.ErrConnection}, faults.Rule{Probability: 0.5, Seed: 1, Latency: time.Nanosecond})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.Info(context.Background(), "ns/a")
			}
		})
	}
	wg.Wait()
	if c, i := l.Calls(kv.OpInfo), l.Injected(kv.OpInfo); c != 800 || i != 200 {
		t.Errorf("%d calls, %d faults; want 800, 200", c, i)
	}
}

// TestModes checks what each mode does to the store and to the caller.
func TestModes(t *testing.T) {
	ctx := t.Context()
	value := []byte("0123456789")
	for _, tc := range []struct {
		mode      faults.Mode
		op        kv.Op
		wantValue string // after the call: "" missing
	}{
		{faults.Refuse, kv.OpStore, ""},
		{faults.LoseReply, kv.OpStore, "0123456789"},
		{faults.CutShort, kv.OpStore, ""},
		{faults.Refuse, kv.OpDelete, "old"},
		{faults.LoseReply, kv.OpDelete, ""},
	} {
		t.Run(tc.mode.String()+"-"+tc.op.String(), func(t *testing.T) {
			l := setup(t, faults.Rule{Ops: []kv.Op{tc.op}, Err: kv.ErrConnection, Mode: tc.mode})
			if tc.op == kv.OpDelete {
				if err := l.Unwrap().Store(ctx, "ns/a", []byte("old")); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			switch tc.op {
			case kv.OpStore:
				err = l.Store(ctx, "ns/a", value)
			case kv.OpDelete:
				err = l.Delete(ctx, "ns/a")
			}
			if !errors.Is(err, kv.ErrConnection) || !errors.Is(err, faults.ErrInjected) {
				t.Errorf("%s: %v, want the injected connection error", tc.op, err)
			}
			got, err := l.Unwrap().Load(ctx, "ns/a")
			if errors.Is(err, kv.ErrNotFound) {
				got = nil
			}
			if string(got) != tc.wantValue {
				t.Errorf("after %s: %q, want %q", tc.op, got, tc.wantValue)
			}
		})
	}
	t.Run("cut-short-load", func(t *testing.T) {
		l := setup(t, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrReadRange, Mode: faults.CutShort})
		if err := l.Store(ctx, "ns/a", value); err != nil {
			t.Fatal(err)
		}
		got, err := l.Load(ctx, "ns/a")
		if !errors.Is(err, kv.ErrReadRange) || string(got) != "01234" {
			t.Errorf("load cut short: %q, %v; want half the value and the error", got, err)
		}
	})
	t.Run("cut-short-list", func(t *testing.T) {
		l := setup(t, faults.Rule{Ops: []kv.Op{kv.OpList}, Err: kv.ErrConnection, Mode: faults.CutShort})
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			if err := l.Store(ctx, "ns/"+k, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		var failed error
		for it, err := range l.List(ctx, "ns") {
			if err != nil {
				failed = err
				break
			}
			got = append(got, it.Name)
		}
		if fmt.Sprint(got) != "[a b]" || !errors.Is(failed, kv.ErrConnection) {
			t.Errorf("list cut short: %v, %v; want [a b] and the error", got, failed)
		}
	})
}

// TestLatency checks that a delay ends when the context is done, and that
// a call whose context is done already is not disturbed.
func TestLatency(t *testing.T) {
	l := setup(t, faults.Rule{Ops: []kv.Op{kv.OpInfo}, Latency: time.Hour, Err: kv.ErrConnection})
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	if _, err := l.Info(ctx, "ns/a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("info delayed an hour, with a 1 ms deadline: %v", err)
	}
	if _, err := l.Info(ctx, "ns/a"); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, faults.ErrInjected) {
		t.Errorf("info with a context done: %v, want the driver's context error", err)
	}
	if n := l.Injected(kv.OpInfo); n != 0 {
		t.Errorf("%d faults injected, want 0", n)
	}
}

func TestInvalidRules(t *testing.T) {
	for _, tc := range []struct {
		rule faults.Rule
		want string
	}{
		{faults.Rule{Every: -1}, "want 0 or more"},
		{faults.Rule{Probability: 1.5}, "Probability 1.5"},
		{faults.Rule{Latency: -time.Second}, "Latency -1s"},
		{faults.Rule{Ops: []kv.Op{kv.NumOps}}, "does not exist"},
		{faults.Rule{Mode: 9}, "unknown mode(9)"},
		{faults.Rule{CutAfter: -1}, "CutAfter -1"},
	} {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "faults: rule 1: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("rule %+v: panic %q, want one naming rule 1 and %q", tc.rule, msg, tc.want)
				}
			}()
			faults.New(memory.New(""), faults.Rule{}, tc.rule)
		}()
	}
}
