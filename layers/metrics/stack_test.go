package metrics_test

import (
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/metrics"
)

// TestStack runs the stack conformance suite on a compose stack with the
// layer at the top.
func TestStack(t *testing.T) {
	mp, _ := newReader()
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		b, err := compose.Wrap(memory.New(""), compose.WithLevels(levels), compose.WithoutThrottle(),
			compose.WithLayer(compose.Top, func(next kv.Backend) kv.Backend {
				return metrics.New(next, metrics.WithMeterProvider(mp))
			}))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
