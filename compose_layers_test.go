package compose_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/retry"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/throttle"
)

// everything is every built-in layer with a harmless configuration.
func everything(t *testing.T) []compose.Option {
	all, err := permissions.Shortcut("all")
	require.NoError(t, err)
	return []compose.Option{
		compose.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		compose.WithMeterProvider(noop.NewMeterProvider()),
		compose.WithPermissions(all),
		compose.WithQuota(1 << 40),
		compose.WithCache("mem://cache", map[string]cache.Policy{"": {Mode: cache.WriteThrough}}),
		compose.WithRetry(retry.Config{}),
		compose.WithThrottle(throttle.Config{}),
	}
}

func TestWrapOrderAllLayers(t *testing.T) {
	opts := append(everything(t),
		compose.WithLevels(map[string][]int{"data/": {1}}),
		compose.WithLayer(compose.AboveThrottle, mark("throttle+1")),
		compose.WithLayer(compose.AboveStats, mark("stats+1")))
	b, err := compose.Open("mem://order", opts...)
	require.NoError(t, err)
	require.Equal(t, []string{
		"*tracing.Layer", "*metrics.Layer", "*logging.Layer", "stats+1", "*stats.Layer",
		"*softdelete.Layer", "*nesting.Layer", "*permissions.Layer", "*quota.Layer",
		"*cache.Layer", "*retry.Layer", "throttle+1", "*throttle.Layer", "*memory.Driver",
	}, chain(b))
}

func TestAllLayersConformance(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		b, err := compose.Open("mem://all", everything(t)...)
		require.NoError(t, err)
		return b
	})
}

func TestAllLayersStack(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "")
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		b, err := compose.Open("mem://all", append(everything(t), compose.WithLevels(levels))...)
		require.NoError(t, err)
		return b
	})
}

func TestRetryByDefaultOverRemoteDrivers(t *testing.T) {
	for _, tc := range []struct {
		url   string
		opts  []compose.Option
		retry bool
	}{
		{"mem://x", nil, false},
		{"file:///tmp/kvcompose-x", nil, false},
		{"sftp://nobody@127.0.0.1:1/store", nil, true},
		{"s3:key:secret@http://127.0.0.1:1/bucket/store", nil, true},
		{"http://127.0.0.1:1/", nil, true},
		{"sftp://nobody@127.0.0.1:1/store", []compose.Option{compose.WithoutRetry()}, false},
		{"mem://x", []compose.Option{compose.WithRetry(retry.Config{MaxTries: 2})}, true},
	} {
		b, err := compose.Open(tc.url, tc.opts...)
		require.NoError(t, err, tc.url)
		_, ok := kv.As[*retry.Layer](b)
		require.Equal(t, tc.retry, ok, "%s %d options: retry layer", tc.url, len(tc.opts))
	}
}

func TestContradictoryOptions(t *testing.T) {
	var st *stats.Layer
	for name, opts := range map[string][]compose.Option{
		"stats":       {compose.WithStats(&st), compose.WithoutStats()},
		"nil stats":   {compose.WithStats(nil)},
		"throttle":    {compose.WithThrottle(throttle.Config{}), compose.WithoutThrottle()},
		"retry":       {compose.WithRetry(retry.Config{}), compose.WithoutRetry()},
		"position":    {compose.WithLayer(compose.Position(99), mark("x"))},
		"nil layer":   {compose.WithLayer(compose.Top, nil)},
		"nil logger":  {compose.WithLogger(nil)},
		"permissions": {compose.WithPermissions(map[string]string{"data": "xyz"})},
		"nil perms":   {compose.WithPermissions(nil)},
		"cache url":   {compose.WithCache("", nil)},
		"cache mode":  {compose.WithCache("mem://c", map[string]cache.Policy{"data": {Mode: cache.Mirror}})},
	} {
		b, err := compose.Open("mem://x", opts...)
		require.Error(t, err, name)
		require.Nil(t, b, name)
		b, err = compose.Wrap(nil, opts...)
		require.Error(t, err, name)
		require.Nil(t, b, name)
	}
	_, err := compose.Open("mem://x", compose.WithCache("nosuch://x", nil))
	require.ErrorIs(t, err, kv.ErrInvalidURL)
}
