package posixfs_test

import (
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
)

func TestConformance(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(map[bool]string{false: "fsync=off", true: "fsync=on"}[fsync], func(t *testing.T) {
			kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
				d, err := posixfs.New(filepath.Join(t.TempDir(), "store"), posixfs.WithFsync(fsync))
				if err != nil {
					t.Fatal(err)
				}
				return d
			})
		})
	}
}

// TestLayout checks that a store records its nesting levels and that one in
// Borg 2's shape opens without them.
func TestLayout(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend {
		d, err := posixfs.New(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}
