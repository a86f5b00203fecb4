package posixfs_test

import (
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
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
