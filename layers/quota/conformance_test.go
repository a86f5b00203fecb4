package quota_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/quota"
)

// TestConformance runs the conformance suite through a layer whose limit
// is never reached: the layer changes nothing but the usage it reports.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return quota.New(memory.New(t.Name()), 1<<40)
	})
}
