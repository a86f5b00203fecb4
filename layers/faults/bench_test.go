package faults_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
)

// overheadStacks compare the memory driver alone with the faults layer
// with no rules (it only counts), with a rule that does not match the
// benchmark's names, and with one that matches but fires on no call.
var overheadStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "faults-no-rules", New: func(*testing.B) kv.Backend { return faults.New(memory.New("")) }},
	{Name: "faults-other-prefix", New: func(*testing.B) kv.Backend {
		return faults.New(memory.New(""), faults.Rule{Prefix: "config/", Err: kv.ErrConnection})
	}},
	{Name: "faults-never-fires", New: func(*testing.B) kv.Backend {
		return faults.New(memory.New(""), faults.Rule{Ops: []kv.Op{kv.OpLoad, kv.OpStore}, Times: 1, After: 1 << 62, Err: kv.ErrConnection})
	}},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, overheadStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, overheadStacks...) }
