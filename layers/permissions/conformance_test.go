package permissions_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/permissions"
)

// TestConformance runs the conformance suite through a layer that grants
// everything: the layer changes nothing that it allows.
func TestConformance(t *testing.T) {
	all, err := permissions.Shortcut("all")
	if err != nil {
		t.Fatal(err)
	}
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return permissions.New(memory.New(t.Name()), all)
	})
}
