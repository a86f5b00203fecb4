package nesting

import (
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/softdelete"
)

// TestBackend runs the driver conformance suite on a nesting layer whose
// only namespace, the root, is at level 0: it must then behave exactly
// like the driver below.
func TestBackend(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		l, err := New(memory.New(""), map[string][]int{"": {0}})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// TestStack runs the stack conformance suite on softdelete over nesting
// over the memory driver, with and without pre-created directories.
func TestStack(t *testing.T) {
	for _, precreate := range []bool{false, true} {
		name := map[bool]string{false: "memory", true: "precreated"}[precreate]
		t.Run(name, func(t *testing.T) {
			kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
				p := newProbe(memory.New(""))
				p.precreate = precreate
				l, err := New(p, levels)
				if err != nil {
					t.Fatal(err)
				}
				return softdelete.New(l)
			})
		})
	}
}
