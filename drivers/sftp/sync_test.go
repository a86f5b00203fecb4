package sftp_test

import (
	"fmt"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestSync checks that with WithSync every Store, Move and Delete sends
// fsync@openssh.com requests that OpenSSH's server accepts (the value, and
// each directory the call changed), and that without it none is sent.
func TestSync(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		sync bool
		want []int64 // syncs per step
	}{
		{false, []int64{0, 0, 0, 0, 0, 0}},
		// store in new directories: the file, its directory, the parents
		// up to the base; overwrite: file and directory; move in one
		// directory: it; move across: both; delete: the directory;
		// mkdir of a leaf: its parent.
		{true, []int64{4, 2, 1, 2, 1, 1}},
	} {
		d := newDriver(t, sftp.WithSync(tc.sync))
		kvtest.OpenStore(t, d)
		base := sftp.Syncs(d) // Open's check
		steps := []func() error{
			func() error { return d.Store(ctx, "data/new/x", []byte("1")) },
			func() error { return d.Store(ctx, "data/new/x", []byte("2")) },
			func() error { return d.Move(ctx, "data/new/x", "data/new/y") },
			func() error { return d.Move(ctx, "data/new/y", "data/z") },
			func() error { return d.Delete(ctx, "data/z") },
			func() error { return d.Mkdir(ctx, "data/leaf") },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("sync=%v, step %d: %v", tc.sync, i, err)
			}
			if got := sftp.Syncs(d) - base; got != tc.want[i] {
				t.Errorf("sync=%v, step %d: %d fsync requests, want %d", tc.sync, i, got, tc.want[i])
			}
			base = sftp.Syncs(d)
		}
	}
}

// BenchmarkStoreSync shows what WithSync costs per Store of a new 4 KiB
// item on the local sshd: an fsync of the file, and an open, fsync and
// close of its directory.
func BenchmarkStoreSync(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(map[bool]string{false: "sync=off", true: "sync=on"}[sync], func(b *testing.B) {
			ctx := b.Context()
			d := newDriver(b, sftp.WithSync(sync))
			kvtest.OpenStore(b, d)
			if err := d.Mkdir(ctx, "data"); err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 4096)
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
