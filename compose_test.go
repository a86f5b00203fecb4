package compose_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose"
	// Every driver, for the tests of every scheme; link_test.go builds
	// programs that link none but file and mem.
	_ "github.com/kvcompose/compose/drivers/all"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/throttle"
	"github.com/kvcompose/compose/layers/tracing"
)

func TestOpenInvalidURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", "no scheme"},
		{"/tmp/store", "no scheme"},
		{"tmp/store", "no scheme"},
		{"nosuch://host/x", `unknown scheme "nosuch"`},
		{"9p://host/x", "invalid scheme"},
		{"file://relative/path", ""},
		{"file:relative", ""},
		{"sftp://", ""},
		{"rclone:", ""},
		{"mem:///a/path", ""},
	} {
		t.Run(tc.url, func(t *testing.T) {
			b, err := compose.Open(tc.url)
			require.ErrorIs(t, err, kv.ErrInvalidURL)
			require.Nil(t, b)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestOpenDoesNoIO(t *testing.T) {
	// A store that does not exist, on a server that does not exist: Open
	// only parses.
	for _, u := range []string{
		"file:///nonexistent/kvcompose/store",
		"sftp://nobody@127.0.0.1:1/store",
		"rclone::local:/nonexistent/kvcompose",
		"mem://x",
	} {
		b, err := compose.Open(u)
		require.NoError(t, err, u)
		require.NotNil(t, b)
	}
}

// marker is a test layer that forwards everything (by embedding, which is
// fine in a test) and remembers its label.
type marker struct {
	kv.Backend
	label string
}

func (m *marker) Unwrap() kv.Backend { return m.Backend }

func mark(label string) func(kv.Backend) kv.Backend {
	return func(next kv.Backend) kv.Backend { return &marker{next, label} }
}

// chain describes the stack from the top: type names, and labels of markers.
func chain(b kv.Backend) []string {
	var out []string
	for b != nil {
		if m, ok := b.(*marker); ok {
			out = append(out, m.label)
		} else {
			out = append(out, reflect.TypeOf(b).String())
		}
		u, ok := b.(kv.Unwrapper)
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	return out
}

func TestWrapOrder(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	t.Setenv("BORGSTORE_BANDWIDTH", "")
	b, err := compose.Open("mem://order",
		compose.WithLevels(map[string][]int{"data/": {1}}),
		compose.WithThrottle(throttle.Config{}),
		compose.WithLayer(compose.AboveDriver, mark("driver+1")),
		compose.WithLayer(compose.AboveThrottle, mark("throttle+1")),
		compose.WithLayer(compose.AboveNesting, mark("nesting+1")),
		compose.WithLayer(compose.AboveSoftDelete, mark("softdelete+1")),
		compose.WithLayer(compose.AboveStats, mark("stats+1")),
		compose.WithLayer(compose.Top, mark("top")),
		compose.WithLayer(compose.Top, mark("top2")),
	)
	require.NoError(t, err)
	require.Equal(t, []string{
		"top", "top2", "*tracing.Layer", "stats+1", "*stats.Layer", "softdelete+1",
		"*softdelete.Layer", "nesting+1", "*nesting.Layer", "throttle+1",
		"*throttle.Layer", "driver+1", "*memory.Driver",
	}, chain(b))
}

func TestWrapLeaveOut(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	t.Setenv("BORGSTORE_BANDWIDTH", "")
	b, err := compose.Open("mem://x", compose.WithoutTracing(), compose.WithoutStats(), compose.WithoutSoftDelete(), compose.WithoutNesting())
	require.NoError(t, err)
	require.Equal(t, []string{"*memory.Driver"}, chain(b))
	_, err = compose.Open("mem://x", compose.WithoutNesting(), compose.WithLevels(map[string][]int{"data/": {1}}))
	require.Error(t, err, "WithoutNesting contradicts WithLevels")
}

func TestThrottleFromEnvironment(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "1000")
	t.Setenv("BORGSTORE_BANDWIDTH", "")
	b, err := compose.Open("mem://x")
	require.NoError(t, err)
	_, ok := kv.As[*throttle.Layer](b)
	require.True(t, ok, "BORGSTORE_LATENCY adds a throttle layer")

	b, err = compose.Open("mem://x", compose.WithoutThrottle())
	require.NoError(t, err)
	_, ok = kv.As[*throttle.Layer](b)
	require.False(t, ok, "WithoutThrottle wins over the environment")

	t.Setenv("BORGSTORE_LATENCY", "ten")
	_, err = compose.Open("mem://x")
	require.Error(t, err, "a bad BORGSTORE_LATENCY is an error, not ignored")
	require.Contains(t, err.Error(), "BORGSTORE_LATENCY")
}

func TestInvalidLevels(t *testing.T) {
	_, err := compose.Open("mem://x", compose.WithLevels(map[string][]int{"data/": {-1}}))
	require.Error(t, err)
}

func TestFindAndWithStats(t *testing.T) {
	var st *stats.Layer
	b, err := compose.Open("mem://x", compose.WithStats(&st))
	require.NoError(t, err)
	require.NotNil(t, st)
	found, ok := kv.As[*stats.Layer](b)
	require.True(t, ok)
	require.Same(t, st, found)
	_, ok = kv.As[*nesting.Layer](b)
	require.True(t, ok, "no levels: a nesting layer with the store's levels")
	drv, ok := kv.As[*memory.Driver](b)
	require.True(t, ok)
	require.NotNil(t, drv)
}

// TestRegister registers a third party's driver, which then gets what
// the options of Open give it, and checks the panics of Register.
// kvtestMem registers the scheme kvtest+mem once per test binary (-count
// runs TestRegister again) and keeps the OpenConfig its opener was last
// given.
var (
	kvtestMem       sync.Once
	kvtestMemConfig atomic.Pointer[backendkit.OpenConfig]
)

func TestRegister(t *testing.T) {
	kvtestMem.Do(func() {
		compose.Register("kvtest+mem", func(u string, c backendkit.OpenConfig) (kv.Backend, error) {
			kvtestMemConfig.Store(&c)
			return memory.New("registered"), nil
		})
	})
	logger := slog.New(slog.DiscardHandler)
	b, err := compose.Open("KVTEST+MEM:whatever", compose.WithSync(true), compose.WithLogger(logger))
	require.NoError(t, err)
	_, ok := kv.As[*memory.Driver](b)
	require.True(t, ok)
	require.Equal(t, backendkit.OpenConfig{Sync: true, Logger: logger}, *kvtestMemConfig.Load())
	require.Contains(t, compose.Schemes(), "kvtest+mem")
	_, ok = backendkit.LookupScheme("kvtest+mem")
	require.True(t, ok, "compose.Register and backendkit.RegisterScheme share one registry")

	noop := func(string, backendkit.OpenConfig) (kv.Backend, error) { return nil, nil }
	require.PanicsWithValue(t, "backendkit: RegisterScheme called twice for scheme kvtest+mem", func() { compose.Register("kvtest+mem", noop) })
	require.PanicsWithValue(t, "backendkit: RegisterScheme called twice for scheme mem", func() { compose.Register("mem", noop) })
	require.PanicsWithValue(t, `backendkit: RegisterScheme: invalid scheme "Bad Scheme"`, func() { compose.Register("Bad Scheme", noop) })
	require.PanicsWithValue(t, "backendkit: RegisterScheme: nil Opener for scheme nilopener", func() { compose.Register("nilopener", nil) })
	require.NotContains(t, compose.Schemes(), "nilopener")
}

func TestSchemes(t *testing.T) {
	// This test binary links every driver (drivers/all).
	require.Subset(t, compose.Schemes(), []string{"b2", "file", "http", "https", "mem", "rclone", "rest", "s3", "sftp"})
	require.IsNonDecreasing(t, compose.Schemes())
}

func TestDefaultStackConformance(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	t.Setenv("BORGSTORE_BANDWIDTH", "")
	t.Run("mem", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			b, err := compose.Open("mem://conformance")
			require.NoError(t, err)
			return b
		})
	})
	t.Run("file", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			b, err := compose.Open("file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "store")))
			require.NoError(t, err)
			return b
		})
	})
}

func TestDefaultStackWithLevels(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	t.Setenv("BORGSTORE_BANDWIDTH", "")
	t.Run("mem", func(t *testing.T) {
		kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
			b, err := compose.Open("mem://stack", compose.WithLevels(levels))
			require.NoError(t, err)
			return b
		})
	})
	t.Run("file", func(t *testing.T) {
		kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
			b, err := compose.Open("file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "store")), compose.WithLevels(levels))
			require.NoError(t, err)
			return b
		})
	})
}

// Compile-time check that the layer packages are what Wrap stacks.
var (
	_ kv.Backend = (*softdelete.Layer)(nil)
	_ kv.Backend = (*tracing.Layer)(nil)
	_ kv.Backend = (*posixfs.Driver)(nil)
)

func TestErrorsReachSentinelThroughStack(t *testing.T) {
	b, err := compose.Open("mem://errors")
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, b.Create(ctx))
	require.NoError(t, b.Open(ctx))
	defer b.Close(ctx)
	_, err = b.Load(ctx, "data/missing")
	require.ErrorIs(t, err, kv.ErrNotFound)
	require.Contains(t, err.Error(), "data/missing")
	var kerr *kv.Error
	require.True(t, errors.As(err, &kerr))
	require.Equal(t, kv.OpLoad, kerr.Op)
}

func ExampleOpen() {
	ctx := context.Background()
	store, err := compose.Open("mem://example",
		compose.WithLevels(map[string][]int{"config/": {0}, "data/": {1}}))
	if err != nil {
		panic(err)
	}
	if err := store.Create(ctx); err != nil {
		panic(err)
	}
	if err := store.Open(ctx); err != nil {
		panic(err)
	}
	defer store.Close(ctx)

	_ = store.Store(ctx, "data/0123abcd", []byte("hello"))
	_ = store.Move(ctx, "data/0123abcd", "", kv.SoftDelete())
	for it, err := range store.List(ctx, "data", kv.Deleted()) {
		if err != nil {
			panic(err)
		}
		fmt.Println("deleted:", it.Name, it.Size)
	}
	// Output: deleted: 0123abcd 5
}
