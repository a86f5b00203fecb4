package rest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/rest"
)

// BenchmarkServeObserved measures 4 KiB loads per second, from 4
// goroutines over keep-alive HTTP, through a `kvcompose serve` process
// over posixfs: plain, with --metrics-listen, with --access-log (to a
// pipe the test drains), and with both.
func BenchmarkServeObserved(b *testing.B) {
	for _, bc := range []struct {
		name  string
		flags []string
	}{
		{"plain", nil},
		{"metrics-listen", []string{"--metrics-listen", "127.0.0.1:0"}},
		{"access-log", []string{"--access-log"}},
		{"both", []string{"--metrics-listen", "127.0.0.1:0", "--access-log"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			url, _ := startServeProcess(b, filepath.Join(b.TempDir(), "store"), bc.flags...)
			d, err := rest.FromURL(url)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := d.Create(ctx); err != nil {
				b.Fatal(err)
			}
			if err := d.Open(ctx); err != nil {
				b.Fatal(err)
			}
			defer d.Close(ctx)
			const workers = 4
			for w := range workers {
				if err := d.Store(ctx, fmt.Sprintf("data/%02x", w), make([]byte, 4096)); err != nil {
					b.Fatal(err)
				}
			}
			parallel(b, workers, func(ctx context.Context, name string) error {
				_, err := d.Load(ctx, name)
				return err
			})
		})
	}
}
