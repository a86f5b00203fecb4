package rclone

import (
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
)

// TestConformance runs the whole suite through the real rclone binary, on
// a local directory and on rclone's in-memory remote.
func TestConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newLocal(t) })
	})
	t.Run("memory", func(t *testing.T) {
		requireRclone(t)
		if !hasMemoryBackend(t) {
			t.Skip("this rclone has no memory backend")
		}
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			d := New(":memory:"+randomToken()[:10], WithKeepAlive(true))
			t.Cleanup(func() { shutdown(t, d) })
			return d
		})
	})
}

// TestLayout checks that a store records its nesting levels and that one in
// Borg 2's shape opens without them.
func TestLayout(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend { return newLocal(t) }, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}
