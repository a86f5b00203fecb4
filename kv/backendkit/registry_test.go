package backendkit

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose/kv"
)

// TestSchemesRegister checks a fresh registry: lookup, the sorted list,
// and the panics of an invalid scheme, a nil Opener and a duplicate.
func TestSchemesRegister(t *testing.T) {
	var r schemes
	_, ok := r.lookup("mem")
	require.False(t, ok)
	require.Empty(t, r.list())

	var seen string
	open := func(u string, _ OpenConfig) (kv.Backend, error) { seen = u; return nil, nil }
	for _, s := range []string{"zz", "a", "s3", "kv+mem", "my-store.v2"} {
		r.register(s, open)
	}
	require.Equal(t, []string{"a", "kv+mem", "my-store.v2", "s3", "zz"}, r.list())
	got, ok := r.lookup("kv+mem")
	require.True(t, ok)
	_, _ = got("kv+mem:x", OpenConfig{})
	require.Equal(t, "kv+mem:x", seen)
	_, ok = r.lookup("KV+MEM")
	require.False(t, ok, "the caller lowercases the scheme")

	for _, bad := range []string{"", "S3", "3s", "+a", "a b", "a:b", "a/b", "a_b", "é", "file:", "\x00"} {
		require.PanicsWithValue(t, "backendkit: RegisterScheme: invalid scheme "+strconv.Quote(bad), func() { r.register(bad, open) }, bad)
	}
	require.PanicsWithValue(t, "backendkit: RegisterScheme: nil Opener for scheme nil", func() { r.register("nil", nil) })
	require.PanicsWithValue(t, "backendkit: RegisterScheme called twice for scheme s3", func() { r.register("s3", open) })
	require.Equal(t, []string{"a", "kv+mem", "my-store.v2", "s3", "zz"}, r.list(), "a refused registration changes nothing")
}

// TestSchemesConcurrent registers and looks up from many goroutines (for
// the race detector).
func TestSchemesConcurrent(t *testing.T) {
	var r schemes
	open := func(string, OpenConfig) (kv.Backend, error) { return nil, nil }
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			r.register("s"+string(rune('a'+i)), open)
			r.lookup("sa")
			r.list()
		})
	}
	wg.Wait()
	require.Len(t, r.list(), 16)
}

func TestNoSync(t *testing.T) {
	err := NoSync("mem://x", "a mem:// store ends with the process")
	require.ErrorIs(t, err, kv.ErrUnsupported)
	require.False(t, errors.Is(err, kv.ErrInvalidURL))
	require.Contains(t, err.Error(), "WithSync: a mem:// store ends with the process")
}
