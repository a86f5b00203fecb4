package posixfs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
)

// BenchmarkStoreFsync shows what WithFsync costs per Store of a new 4 KiB
// item: a file sync and a directory sync on top of the temp file and
// rename.
func BenchmarkStoreFsync(b *testing.B) {
	for _, tc := range []struct {
		name  string
		fsync bool
	}{{"fsync=off", false}, {"fsync=on", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			d, err := posixfs.New(b.TempDir()+"/store", posixfs.WithFsync(tc.fsync))
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Create(ctx); err != nil {
				b.Fatal(err)
			}
			if err := d.Open(ctx); err != nil {
				b.Fatal(err)
			}
			defer d.Close(ctx)
			value := make([]byte, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(value)))
			i := 0
			for b.Loop() {
				i++
				if err := d.Store(ctx, fmt.Sprintf("data/%016x", i), value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
