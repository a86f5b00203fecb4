package sftp_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
)

// TestConformance runs the whole suite against the real sshd, without and
// with WithSync.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t) })
	t.Run("sync=on", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t, sftp.WithSync(true)) })
	})
}

// TestLayout checks that a store records its nesting levels and that one in
// Borg 2's shape opens without them.
func TestLayout(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend { return newDriver(t) }, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}
