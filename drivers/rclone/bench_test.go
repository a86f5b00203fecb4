package rclone

import (
	"context"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// BenchmarkStart measures starting rcd until it answers, and stopping it.
func BenchmarkStart(b *testing.B) {
	requireRclone(b)
	ctx := context.Background()
	cfg := config{startTimeout: DefaultStartTimeout, stopTimeout: DefaultStopTimeout}
	for b.Loop() {
		s, err := startServer(ctx, kv.OpOpen, cfg, false)
		if err != nil {
			b.Fatal(err)
		}
		s.stop(cfg.stopTimeout)
	}
}

// BenchmarkRoundTrip measures one rc call that does no work (rc/noop):
// the HTTP round trip to rcd alone.
func BenchmarkRoundTrip(b *testing.B) {
	d := openLocal(b)
	s := d.srv.Load()
	ctx := context.Background()
	for b.Loop() {
		if err := s.call(ctx, d.cfg, "rc/noop", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalls measures the driver calls of the kvbench phases on a
// local remote with 4 KiB values.
func BenchmarkCalls(b *testing.B) {
	d := openLocal(b)
	ctx := context.Background()
	value := make([]byte, 4096)
	if err := d.Store(ctx, "data/ab/item", value); err != nil {
		b.Fatal(err)
	}
	calls := []struct {
		name string
		f    func() error
	}{
		{"info", func() error { _, err := d.Info(ctx, "data/ab/item"); return err }},
		{"store", func() error { return d.Store(ctx, "data/ab/item", value) }},
		{"load", func() error { _, err := d.Load(ctx, "data/ab/item"); return err }},
		{"partial-load", func() error { _, err := d.Load(ctx, "data/ab/item", kv.Range(64, 128)); return err }},
		{"list", func() error {
			for _, err := range d.List(ctx, "data/ab") {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
