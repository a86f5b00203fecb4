package sftp_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestConformance runs the whole suite against the real sshd, without and
// with WithSync.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t) })
	t.Run("sync=on", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t, sftp.WithSync(true)) })
	})
}
