package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
)

func opened(t *testing.T, d *memory.Driver) *memory.Driver {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, d.Create(ctx))
	require.NoError(t, d.Open(ctx))
	t.Cleanup(func() { _ = d.Close(ctx) })
	return d
}

func TestFromURL(t *testing.T) {
	for _, tc := range []struct {
		url, name, err string
	}{
		{url: "mem://a", name: "a"},
		{url: "mem://test-store/", name: "test-store"},
		{url: "mem://", err: "missing store name"},
		{url: "mem:a", err: "want mem://name"},
		{url: "file:///x", err: "is not mem"},
		{url: "mem://u@a", err: "no user"},
		{url: "mem://a:1", err: "no port"},
		{url: "mem://a/b", err: "no path"},
		{url: "mem://a?x=1", err: "no query"},
		{url: "mem://a#f", err: "no query or fragment"},
		{url: "mem://%zz", err: "invalid url"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			d, err := memory.FromURL(tc.url)
			if tc.err != "" {
				require.ErrorIs(t, err, kv.ErrInvalidURL)
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.name, d.Name())
			assert.Equal(t, "mem", d.Properties().Scheme)
		})
	}
}

func TestEachDriverIsItsOwnStore(t *testing.T) {
	ctx := context.Background()
	a := opened(t, memory.New("same"))
	require.NoError(t, a.Store(ctx, "k", []byte("v")))
	b, err := memory.FromURL("mem://same")
	require.NoError(t, err)
	assert.ErrorIs(t, b.Open(ctx), kv.ErrNoStore, "the name is a label, not an address")
	assert.Equal(t, "mem://same", b.String())
}

func TestQuotaCountsBytes(t *testing.T) {
	ctx := context.Background()
	d := opened(t, memory.New(""))
	step := func(f func() error, want int64) {
		t.Helper()
		require.NoError(t, f())
		q, err := d.Quota(ctx)
		require.NoError(t, err)
		assert.Equal(t, kv.Quota{Limit: -1, Usage: want}, q)
	}
	step(func() error { return nil }, 0)
	step(func() error { return d.Store(ctx, "a/x", make([]byte, 10)) }, 10)
	step(func() error { return d.Store(ctx, "a/x", make([]byte, 4)) }, 4)
	step(func() error { return d.Store(ctx, "a/y", make([]byte, 6)) }, 10)
	step(func() error { return d.Move(ctx, "a/y", "a/x") }, 6)
	step(func() error { return d.Delete(ctx, "a/x") }, 0)
}

func TestThingsInTheWay(t *testing.T) {
	ctx := context.Background()
	d := opened(t, memory.New(""))
	require.NoError(t, d.Store(ctx, "f", []byte("v")))
	require.NoError(t, d.Mkdir(ctx, "dir/sub"))

	assert.ErrorIs(t, d.Store(ctx, "f/x", nil), kv.ErrExists, "an item where a directory should be")
	assert.ErrorIs(t, d.Mkdir(ctx, "f/x"), kv.ErrExists)
	assert.ErrorIs(t, d.Store(ctx, "dir", nil), kv.ErrExists, "a directory where the item should be")
	assert.ErrorIs(t, d.Move(ctx, "f", "dir"), kv.ErrExists)
	assert.ErrorContains(t, d.Move(ctx, "dir", "dir/sub/x"), "into itself")
	_, err := d.Load(ctx, "dir")
	assert.ErrorContains(t, err, "is a directory")
	assert.ErrorContains(t, d.Rmdir(ctx, "f"), "not a directory")

	require.NoError(t, d.Move(ctx, "dir", "moved"), "directories move whole")
	info, err := d.Info(ctx, "moved/sub")
	require.NoError(t, err)
	assert.True(t, info.Directory)
	v, err := d.Load(ctx, "f")
	require.NoError(t, err)
	assert.Equal(t, "v", string(v), "nothing lost")
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	d := opened(t, memory.New(""))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				key := fmt.Sprintf("ns/%d/%d", i, j%10)
				assert.NoError(t, d.Store(ctx, key, []byte(key)))
				v, err := d.Load(ctx, key)
				if assert.NoError(t, err) {
					assert.Equal(t, key, string(v))
				}
				for _, err := range d.List(ctx, "ns") {
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	for _, err := range d.List(ctx, "ns") {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 8, n)
}
