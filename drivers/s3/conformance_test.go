package s3_test

import (
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestConformance runs the whole suite against versitygw, each group in a
// bucket of its own.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t) })
}
