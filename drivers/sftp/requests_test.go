package sftp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestRequestsPerCall counts the SFTP requests that each call sends on the
// wire, and the rounds (requests sent together, then waited for), as
// docs/semantics.md lists them.
func TestRequestsPerCall(t *testing.T) {
	d := kvtest.OpenStore(t, newDriver(t))
	ctx := context.Background()
	sftp.StopSweep(d)
	if err := d.Mkdir(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 4096)
	big := bytes.Repeat([]byte("B"), 3<<20)

	// sent runs f and returns the requests and rounds it sent.
	sent := func(t *testing.T, f func() error) (map[string]int64, int64) {
		t.Helper()
		before, r0 := sftp.Sent(d)
		if err := f(); err != nil {
			t.Fatal(err)
		}
		after, r1 := sftp.Sent(d)
		diff := map[string]int64{}
		for k, n := range after {
			if n -= before[k]; n != 0 {
				diff[k] = n
			}
		}
		return diff, r1 - r0
	}
	cases := []struct {
		name   string
		f      func() error
		want   map[string]int64
		rounds int64
	}{
		{"Store", func() error { return d.Store(ctx, "data/a", value) },
			map[string]int64{"OPEN": 1, "WRITE": 1, "CLOSE": 1, "EXTENDED": 1}, 3},
		{"Store over an item", func() error { return d.Store(ctx, "data/a", value) },
			map[string]int64{"OPEN": 1, "WRITE": 1, "CLOSE": 1, "EXTENDED": 1}, 3},
		{"Info", func() error { _, err := d.Info(ctx, "data/a"); return err },
			map[string]int64{"STAT": 1}, 1},
		{"Load", func() error { _, err := d.Load(ctx, "data/a"); return err },
			map[string]int64{"OPEN": 1, "FSTAT": 1, "READ": 2, "CLOSE": 1}, 2},
		{"Load of a range", func() error { _, err := d.Load(ctx, "data/a", kv.Range(10, 100)); return err },
			map[string]int64{"OPEN": 1, "READ": 1, "CLOSE": 1}, 2},
		{"StoreStream", func() error { return d.StoreStream(ctx, "data/s", bytes.NewReader(value), -1) },
			map[string]int64{"OPEN": 1, "WRITE": 1, "CLOSE": 1, "EXTENDED": 1}, 3},
		{"LoadStream", func() error { return readStream(d.LoadStream(ctx, "data/s")) },
			map[string]int64{"OPEN": 1, "FSTAT": 1, "READ": 2, "CLOSE": 1}, 2},
		{"StoreStream of 3 MiB", func() error { return d.StoreStream(ctx, "data/big", bytes.NewReader(big), int64(len(big))) },
			map[string]int64{"OPEN": 1, "WRITE": 96, "CLOSE": 1, "EXTENDED": 1}, 3},
		{"LoadStream of 3 MiB", func() error { return readStream(d.LoadStream(ctx, "data/big")) },
			map[string]int64{"OPEN": 1, "FSTAT": 1, "READ": 96, "CLOSE": 1}, 3},
		{"LoadStream of a range", func() error { return readStream(d.LoadStream(ctx, "data/big", kv.Range(1<<20, 100))) },
			map[string]int64{"OPEN": 1, "FSTAT": 1, "READ": 1, "CLOSE": 1}, 2},
		{"Move", func() error { return d.Move(ctx, "data/a", "data/b") },
			map[string]int64{"EXTENDED": 1}, 1},
		{"List", func() error {
			for _, err := range d.List(ctx, "data") {
				if err != nil {
					return err
				}
			}
			return nil
		}, map[string]int64{"OPENDIR": 1, "READDIR": 2, "CLOSE": 1}, 4},
		{"Delete", func() error { return d.Delete(ctx, "data/b") },
			map[string]int64{"REMOVE": 1}, 1},
		{"Delete of a missing item", func() error {
			if err := d.Delete(ctx, "data/b"); !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			return nil
		}, map[string]int64{"REMOVE": 1}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, rounds := sent(t, c.f)
			if !maps.Equal(got, c.want) || rounds != c.rounds {
				t.Errorf("sent %v in %d rounds, want %v in %d", got, rounds, c.want, c.rounds)
			}
		})
	}
}

// TestDeleteDirectory checks that Delete refuses a directory, empty or not,
// and leaves it in place (pkg/sftp's Remove would take an empty one).
func TestDeleteDirectory(t *testing.T) {
	d := kvtest.OpenStore(t, newDriver(t))
	ctx := context.Background()
	for _, dir := range []string{"empty", "full"} {
		if err := d.Mkdir(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Store(ctx, "full/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"empty", "full"} {
		err := d.Delete(ctx, dir)
		if err == nil || errors.Is(err, kv.ErrNotFound) {
			t.Errorf("Delete(%s) = %v, want an error that is not kv.ErrNotFound", dir, err)
		}
		if info, err := d.Info(ctx, dir); err != nil || !info.Directory {
			t.Errorf("after Delete(%s): %+v, %v; want the directory in place", dir, info, err)
		}
	}
}

// readStream reads the stream that LoadStream returned to its end and
// closes it.
func readStream(r io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return errors.Join(err, r.Close())
}
