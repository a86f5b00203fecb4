package compose_test

import (
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// benchStacks are the memory driver alone and the default stack over it:
// tracing (global no-op provider) -> stats -> softdelete -> nesting.
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(b *testing.B) kv.Backend { return memory.New("") }},
	{Name: "default-stack", New: func(b *testing.B) kv.Backend {
		s, err := compose.Wrap(memory.New(""), compose.WithLevels(map[string][]int{"data/": {2}}), compose.WithoutThrottle())
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// BenchmarkLoad4KiB shows what the default stack adds to a Load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB shows what the default stack adds to a Store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }
