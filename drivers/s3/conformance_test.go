package s3_test

import (
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
)

// TestConformance runs the whole suite against versitygw, each group in a
// bucket of its own.
func TestConformance(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return newDriver(t) })
}

// TestStack runs the stack suite on softdelete over nesting over the
// driver, as compose stacks them.
func TestStack(t *testing.T) {
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		l, err := nesting.New(newDriver(t), levels)
		if err != nil {
			t.Fatal(err)
		}
		return softdelete.New(l)
	})
}

// TestComposeStacks runs both suites on the stacks compose.Open builds from
// s3: URLs: the default stack (retry included, the driver being remote),
// and with nesting levels.
func TestComposeStacks(t *testing.T) {
	s := s3test.Shared(t)
	open := func(t *testing.T, opts ...compose.Option) kv.Backend {
		b, err := compose.Open(s.URL(s.NewBucket(t), "store"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("Default", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return open(t) })
	})
	t.Run("Levels", func(t *testing.T) {
		kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
			return open(t, compose.WithLevels(levels))
		})
	})
}

// TestLevelsRecorded checks that a store records its nesting levels and
// that one in Borg 2's shape opens without them.
func TestLevelsRecorded(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend { return newDriver(t) }, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}
