package posixfs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDirCacheFollowsChanges checks that the cached directory handles never
// make the driver read or write a directory that is no longer the one at
// the item's path: not after the driver moves or removes it, and not after
// another process removes or replaces it behind the driver's back.
func TestDirCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	d := openStore(t)
	load := func(name string) string {
		t.Helper()
		v, err := d.Load(ctx, name)
		require.NoError(t, err)
		return string(v)
	}
	require.NoError(t, d.Store(ctx, "ns/ab/k1", []byte("one")))
	assert.Equal(t, "one", load("ns/ab/k1"), "ns/ab is cached now")

	t.Run("moved by the driver", func(t *testing.T) {
		require.NoError(t, d.Move(ctx, "ns/ab", "ns/cd"))
		require.NoError(t, d.Store(ctx, "ns/ab/k2", []byte("two")))
		assert.Equal(t, "two", load("ns/ab/k2"))
		_, err := d.Load(ctx, "ns/ab/k1")
		assert.Error(t, err, "k1 moved away with its directory")
		assert.Equal(t, "one", load("ns/cd/k1"))
		info, err := d.Info(ctx, "ns/cd/k2")
		require.NoError(t, err)
		assert.False(t, info.Exists, "k2 went to the new ns/ab, not the moved one")
	})
	t.Run("removed by the driver", func(t *testing.T) {
		require.NoError(t, d.Delete(ctx, "ns/ab/k2"))
		require.NoError(t, d.Rmdir(ctx, "ns/ab"))
		require.NoError(t, d.Store(ctx, "ns/ab/k3", []byte("three")))
		assert.Equal(t, "three", load("ns/ab/k3"))
	})
	t.Run("replaced behind its back", func(t *testing.T) {
		dir := filepath.Join(d.Base(), "ns", "ab")
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.Mkdir(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "k4"), []byte("four"), 0o600))
		assert.Equal(t, "four", load("ns/ab/k4"), "a fresh handle finds the new file")
		require.NoError(t, d.Store(ctx, "ns/ab/k5", []byte("five")))
		_, err := os.Stat(filepath.Join(dir, "k5"))
		assert.NoError(t, err, "the store went into the directory at the path")
	})
	t.Run("removed behind its back", func(t *testing.T) {
		require.NoError(t, os.RemoveAll(filepath.Join(d.Base(), "ns", "ab")))
		require.NoError(t, d.Store(ctx, "ns/ab/k6", []byte("six")), "recreated on demand")
		assert.Equal(t, "six", load("ns/ab/k6"))
	})
}

func TestDirCacheBounded(t *testing.T) {
	ctx := context.Background()
	d := openStore(t)
	for i := range maxCachedDirs + 10 {
		name := filepath.Join("ns", string(rune('a'+i%26)), string(rune('a'+i/26%26)), "k")
		require.NoError(t, d.Store(ctx, name, nil))
	}
	d.dirs.mu.RLock()
	defer d.dirs.mu.RUnlock()
	assert.LessOrEqual(t, len(d.dirs.dirs), maxCachedDirs)
}
