package throttle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/throttle"
)

func TestBackend(t *testing.T) {
	for _, cfg := range []throttle.Config{
		{},
		{Latency: time.Microsecond, Bandwidth: 1e12},
		{Upload: 1e12, Download: 2e12},
	} {
		t.Run(cfg.String(), func(t *testing.T) {
			kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
				return throttle.New(memory.New(""), cfg)
			})
		})
	}
}

// openStore returns an open memory store with two items, "ns/a" of 1000
// bytes and "ns/b".
func openStore(t *testing.T) kv.Backend {
	t.Helper()
	ctx := context.Background()
	drv := kvtest.OpenStore(t, memory.New(""))
	for _, err := range []error{
		drv.Store(ctx, "ns/a", make([]byte, 1000)), drv.Store(ctx, "ns/b", []byte("b")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return drv
}

// calls are one call of each kind that the tests run through a layer.
var calls = []struct {
	name  string
	bytes int // bytes that cross the link
	fail  bool
	call  func(ctx context.Context, b kv.Backend) error
}{
	{"load", 1000, false, func(ctx context.Context, b kv.Backend) error { _, err := b.Load(ctx, "ns/a"); return err }},
	{"load missing", 0, true, func(ctx context.Context, b kv.Backend) error { _, err := b.Load(ctx, "ns/zz"); return err }},
	{"store", 1000, false, func(ctx context.Context, b kv.Backend) error { return b.Store(ctx, "ns/c", make([]byte, 1000)) }},
	{"info", 0, false, func(ctx context.Context, b kv.Backend) error { _, err := b.Info(ctx, "ns/b"); return err }},
	{"load stream", 1000, false, func(ctx context.Context, b kv.Backend) error { return drainStream(b.LoadStream(ctx, "ns/a")) }},
	{"load stream missing", 0, true, func(ctx context.Context, b kv.Backend) error { return drainStream(b.LoadStream(ctx, "ns/zz")) }},
	{"store stream", 1000, false, func(ctx context.Context, b kv.Backend) error {
		return b.StoreStream(ctx, "ns/c", bytes.NewReader(make([]byte, 1000)), -1)
	}},
	{"move missing", 0, true, func(ctx context.Context, b kv.Backend) error { return b.Move(ctx, "ns/zz", "ns/y") }},
	{"list", 0, false, func(ctx context.Context, b kv.Backend) error { return kvtest.Drain(b.List(ctx, "ns")) }},
	{"list empty", 0, false, func(ctx context.Context, b kv.Backend) error {
		if err := b.Mkdir(ctx, "empty"); err != nil {
			return err
		}
		return kvtest.Drain(b.List(ctx, "empty"))
	}},
}

// TestMinimumDuration checks the lower bound L + 8n/B of every kind of
// call, failed ones included. Only lower bounds are asserted: they hold
// however slow the machine is.
func TestMinimumDuration(t *testing.T) {
	const latency = 2 * time.Millisecond
	const bandwidth = 800e3 // bits/s: 1000 bytes take 10 ms
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			l := throttle.New(openStore(t), throttle.Config{Latency: latency, Bandwidth: bandwidth})
			start := time.Now()
			err := c.call(context.Background(), l)
			elapsed := time.Since(start)
			if (err != nil) != c.fail {
				t.Fatalf("error %v, want failure: %v", err, c.fail)
			}
			want := latency + time.Duration(float64(8*c.bytes)/bandwidth*float64(time.Second))
			if c.name == "list empty" {
				want *= 2 // mkdir and list
			}
			if elapsed < want {
				t.Errorf("took %v, want at least %v", elapsed, want)
			}
		})
	}
}

// signal is a backend that closes called when a call has returned from
// the backend below, so that the throttle layer above is in its sleep.
type signal struct {
	kv.Backend
	called chan struct{}
}

func (s signal) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	defer close(s.called)
	return s.Backend.Load(ctx, name, opts...)
}

func (s signal) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	defer close(s.called)
	return s.Backend.Store(ctx, name, value, opts...)
}

func (s signal) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	close(s.called)
	return s.Backend.List(ctx, name, opts...)
}

// TestCancelEndsSleep cancels calls that would sleep for an hour (latency)
// or for days (bandwidth) and checks that they return context.Canceled, or
// the backend's own error when it failed.
func TestCancelEndsSleep(t *testing.T) {
	for _, cfg := range []throttle.Config{
		{Latency: time.Hour},
		{Bandwidth: 1}, // 1 bit/s
		{Upload: 1, Download: 1},
	} {
		for _, c := range calls[:3] {
			if c.name == "load missing" && cfg.Latency == 0 {
				continue // nothing to wait for
			}
			t.Run(cfg.String()+"/"+c.name, func(t *testing.T) {
				sig := signal{Backend: openStore(t), called: make(chan struct{})}
				l := throttle.New(sig, cfg)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- c.call(ctx, l) }()
				<-sig.called
				cancel()
				select {
				case err := <-done:
					if c.fail {
						if !errors.Is(err, kv.ErrNotFound) {
							t.Errorf("got %v, want the backend's not found", err)
						}
					} else if !errors.Is(err, context.Canceled) {
						t.Errorf("got %v, want context.Canceled", err)
					}
				case <-time.After(time.Minute):
					t.Fatal("the sleep did not end on cancellation")
				}
			})
		}
	}
}

func TestCancelList(t *testing.T) {
	sig := signal{Backend: openStore(t), called: make(chan struct{})}
	l := throttle.New(sig, throttle.Config{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	// The latency is paid before the first entry: the backend is called
	// and the listing blocks until cancel, then yields the error.
	go func() { <-sig.called; cancel() }()
	var errs []error
	for it, err := range l.List(ctx, "ns") {
		if err == nil {
			t.Errorf("entry %q before the latency was paid", it.Name)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("got %v, want one context.Canceled", errs)
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		latency, bandwidth string
		want               throttle.Config
		ok                 bool
		err                string
	}{
		{"", "", throttle.Config{}, false, ""},
		{"0", "0", throttle.Config{}, false, ""},
		{"10000", "", throttle.Config{Latency: 10 * time.Millisecond}, true, ""},
		{"", "16000000", throttle.Config{Bandwidth: 16e6}, true, ""},
		{" 250 ", "16e6", throttle.Config{Latency: 250 * time.Microsecond, Bandwidth: 16e6}, true, ""},
		{"ten", "", throttle.Config{}, false, "BORGSTORE_LATENCY"},
		{"1.5", "", throttle.Config{}, false, "BORGSTORE_LATENCY"},
		{"-1", "", throttle.Config{}, false, "BORGSTORE_LATENCY"},
		{"99999999999999999", "", throttle.Config{}, false, "BORGSTORE_LATENCY"},
		{"", "fast", throttle.Config{}, false, "BORGSTORE_BANDWIDTH"},
		{"", "-8", throttle.Config{}, false, "BORGSTORE_BANDWIDTH"},
		{"", "Inf", throttle.Config{}, false, "BORGSTORE_BANDWIDTH"},
	} {
		t.Run(tc.latency+"/"+tc.bandwidth, func(t *testing.T) {
			t.Setenv(throttle.EnvLatency, tc.latency)
			t.Setenv(throttle.EnvBandwidth, tc.bandwidth)
			cfg, ok, err := throttle.ConfigFromEnv()
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case cfg != tc.want || ok != tc.ok:
				t.Fatalf("got %+v, %v; want %+v, %v", cfg, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestConfigString(t *testing.T) {
	for _, tc := range []struct {
		cfg  throttle.Config
		want string
	}{
		{throttle.Config{}, "0s, unlimited"},
		{throttle.Config{Latency: 10 * time.Millisecond, Bandwidth: 16e6}, "10ms, 16 Mbit/s"},
		{throttle.Config{Bandwidth: 2.5e9, Download: 100e3}, "0s, up 2.5 Gbit/s, down 100 kbit/s"},
		{throttle.Config{Upload: 512}, "0s, up 512 bit/s, down unlimited"},
	} {
		if got := tc.cfg.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.cfg, got, tc.want)
		}
	}
}

func ExampleNew() {
	ctx := context.Background()
	store := throttle.New(memory.New("example-throttle"),
		throttle.Config{Latency: 10 * time.Millisecond, Bandwidth: 16e6})
	fmt.Println("link:", store.Config())
	if err := store.Create(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Open(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer store.Destroy(ctx)
	defer store.Close(ctx)

	// 20 KB at 16 Mbit/s: 10 ms of transfer plus 10 ms of latency.
	start := time.Now()
	if err := store.Store(ctx, "data/0123", make([]byte, 20000)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("took 20 ms or more:", time.Since(start) >= 20*time.Millisecond)
	// Output:
	// link: 10ms, 16 Mbit/s
	// took 20 ms or more: true
}
