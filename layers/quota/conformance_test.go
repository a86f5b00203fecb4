package quota_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/quota"
	"github.com/kvcompose/compose/layers/softdelete"
)

// TestConformance runs the conformance suite through a layer whose limit
// is never reached: the layer changes nothing but the usage it reports.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return quota.New(memory.New(t.Name()), 1<<40)
	})
}

// TestStack runs the stack suite with the permissions and quota layers
// where compose puts them, below nesting: softdelete, nesting,
// permissions (granting everything), quota, memory.
func TestStack(t *testing.T) {
	all, _ := permissions.Shortcut("all")
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		n, err := nesting.New(permissions.New(quota.New(memory.New(t.Name()), 1<<40), all), levels)
		if err != nil {
			t.Fatal(err)
		}
		return softdelete.New(n)
	})
}
