package kvtest_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
)

// ownSoftDelete is a soft-delete layer of a package other than
// layers/softdelete (it hands the work to one): kvtest must learn from
// ConsumesOptions, not from a package name, that it handles the options.
type ownSoftDelete struct{ *softdelete.Layer }

func (o ownSoftDelete) ConsumesOptions() []kv.OptionKind {
	return []kv.OptionKind{kv.KindDeleted, kv.KindSoftDelete, kv.KindUndelete}
}

func TestThirdPartyLayer(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return ownSoftDelete{softdelete.New(memory.New(t.Name()))}
	})
}

func TestThirdPartyLayerStack(t *testing.T) {
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		n, err := nesting.New(memory.New(t.Name()), levels)
		if err != nil {
			t.Fatal(err)
		}
		return ownSoftDelete{softdelete.New(n)}
	})
}
