package sftp_test

import (
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestConformance runs the whole suite against the real sshd.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t) })
}
