package permissions_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/permissions"
)

// benchStacks are the memory driver alone and under the permissions layer,
// with a one-entry map and with Borg's no-delete map (with the root made
// writable and deletable, as the benchmark creates and destroys the store,
// and data/ overwritable, as it overwrites one item): the difference is the
// layer's cost, a map lookup per name segment.
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "permissions-all", New: func(*testing.B) kv.Backend {
		return permissions.New(memory.New(""), map[string]string{"": "lrwWD"})
	}},
	{Name: "permissions-no-delete", New: func(*testing.B) kv.Backend {
		m, _ := permissions.Shortcut("no-delete")
		m[""] = "lrwD"     // the bench creates and destroys the store
		m["data"] = "lrwW" // and overwrites one item
		return permissions.New(memory.New(""), m)
	}},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }
