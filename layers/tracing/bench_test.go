package tracing_test

import (
	"testing"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/tracing"
)

// benchStacks are the memory driver alone and under the layer with a no-op
// provider, the global provider while none is set, and a recording SDK
// provider.
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "noop", New: traced(noop.NewTracerProvider())},
	{Name: "global-unset", New: func(*testing.B) kv.Backend { return tracing.New(memory.New("")) }},
	{Name: "sdk-recording", New: func(b *testing.B) kv.Backend { tp, _ := recorded(); return traced(tp)(b) }},
}

func traced(tp trace.TracerProvider) func(*testing.B) kv.Backend {
	return func(*testing.B) kv.Backend { return tracing.New(memory.New(""), tracing.WithTracerProvider(tp)) }
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }
