package sftp_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkSmall measures 4 KiB Store and Delete, one call at a time, on
// the test sshd over loopback:
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
