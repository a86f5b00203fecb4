package softdelete

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
)

var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "softdelete", New: func(*testing.B) kv.Backend { return New(memory.New("")) }},
	{Name: "softdelete+nesting", New: func(b *testing.B) kv.Backend {
		n, err := nesting.New(memory.New(""), map[string][]int{"data/": {2}})
		if err != nil {
			b.Fatal(err)
		}
		return New(n)
	}},
}

// BenchmarkLoad4KiB measures what the layers add to a load of 4 KiB from
// the memory driver.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layers add to a store of 4 KiB to
// the memory driver.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }
