package softdelete

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestBackend runs the driver conformance suite on the layer over the
// memory driver: without soft delete options it must behave like the
// driver.
func TestBackend(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return New(memory.New("")) })
}
