package memory_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
)

func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return memory.New(t.Name()) })
}

// TestLayout checks that a store records its nesting levels and that one in
// Borg 2's shape opens without them.
func TestLayout(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend { return memory.New(t.Name()) }, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}

// TestStreamStall checks that cancelling the context stops a StoreStream
// whose source stalls.
func TestStreamStall(t *testing.T) {
	kvtest.TestStreamStall(t, kvtest.OpenStore(t, memory.New(t.Name())))
}
