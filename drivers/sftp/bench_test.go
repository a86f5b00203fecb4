package sftp_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkSmall measures 4 KiB Store and Delete, and 4 KiB and 1 MiB
// Load, one call at a time, on the test sshd over loopback:
//
//	go test -run '^$' -bench Small -benchtime 2000x ./drivers/sftp/
func BenchmarkSmall(b *testing.B) {
	d := newDriver(b)
	ctx := context.Background()
	if err := d.Create(ctx); err != nil {
		b.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer d.Close(ctx)
	if err := d.Mkdir(ctx, "data"); err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 4096)
	name := func(i int) string { return fmt.Sprintf("data/%08x", i) }
	b.Run("Store", func(b *testing.B) {
		for i := range b.N {
			if err := d.Store(ctx, name(i), value); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("Load%dKiB", size>>10), func(b *testing.B) {
			big := bytes.Repeat([]byte("L"), size)
			if err := d.Store(ctx, "data/load", big); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if v, err := d.Load(ctx, "data/load"); err != nil || len(v) != size {
					b.Fatal(len(v), err)
				}
			}
		})
	}
	b.Run("Delete", func(b *testing.B) {
		b.StopTimer()
		for i := range b.N {
			if err := d.Store(ctx, name(i), value); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for i := range b.N {
			if err := d.Delete(ctx, name(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
