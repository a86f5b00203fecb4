package rclone

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestStreamFailedUpload checks that a StoreStream whose source fails, lies
// about its size or is cancelled in the middle of the upload stores nothing
// on a local remote: the old value stays, a new name does not appear, and
// no temporary file is left once rcd has answered the next call.
func TestStreamFailedUpload(t *testing.T) {
	d := openLocal(t)
	root := strings.TrimPrefix(d.remote, ":local:")
	ctx := context.Background()
	value := kvtest.Pattern(4<<20+123, 7)
	boom := errors.New("source broke")
	for _, tc := range []struct {
		name string
		want error
		run  func(name string) error
	}{
		{"fails", boom, func(name string) error {
			return d.StoreStream(ctx, name, &kvtest.FailingSource{R: bytes.NewReader(value), N: 2 << 20, Err: boom}, int64(len(value)))
		}},
		{"fails-chunked", boom, func(name string) error {
			return d.StoreStream(ctx, name, &kvtest.FailingSource{R: bytes.NewReader(value), N: 2 << 20, Err: boom}, -1)
		}},
		{"short", kv.ErrSizeMismatch, func(name string) error {
			return d.StoreStream(ctx, name, bytes.NewReader(value), int64(len(value))+1)
		}},
		{"long", kv.ErrSizeMismatch, func(name string) error {
			return d.StoreStream(ctx, name, bytes.NewReader(value), int64(len(value))-1)
		}},
		{"cancelled", context.Canceled, func(name string) error {
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			return d.StoreStream(c, name, &kvtest.FailingSource{R: bytes.NewReader(value), N: 2 << 20, Hook: cancel}, -1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, fresh := "data/"+tc.name+"-old", "data/"+tc.name+"-new"
			if err := d.Store(ctx, old, []byte("old")); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{old, fresh} {
				if err := tc.run(name); !errors.Is(err, tc.want) {
					t.Errorf("store stream %s: %v, want %v", name, err, tc.want)
				}
			}
			if v, err := d.Load(ctx, old); err != nil || string(v) != "old" {
				t.Errorf("after a failed store stream: %q, %v; want the old value", v, err)
			}
			if it, err := d.Info(ctx, fresh); err != nil || it.Exists {
				t.Errorf("after a failed store stream: %+v, %v; want no item", it, err)
			}
		})
	}
	// rcd removes the file of an upload cut off when it notices (the
	// local backend deletes a partly written file), the driver the
	// temporary it asked for: none is left once rcd is done with the
	// requests, which it does not say; wait for that, within a bound.
	for deadline := time.Now().Add(bound); ; time.Sleep(20 * time.Millisecond) {
		entries, err := os.ReadDir(filepath.Join(root, "data"))
		if err != nil {
			t.Fatal(err)
		}
		left := slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), kv.TempSuffix) })
		if !left {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("temporary files are left after %v: %v", bound, entries)
		}
	}
}

// bound is how long rcd gets to finish with an upload that was cut off.
const bound = 30 * time.Second

// TestLoadStreamRanges checks that LoadStream reads the parts Load reads,
// on a local and a :memory: remote.
func TestLoadStreamRanges(t *testing.T) {
	drivers := map[string]*Driver{"local": openLocal(t)}
	if hasMemoryBackend(t) {
		drivers["memory"] = openMemory(t)
	}
	ctx := context.Background()
	value := kvtest.Pattern(1<<20+77, 7)
	n := int64(len(value))
	for remote, d := range drivers {
		if err := d.StoreStream(ctx, "data/item", bytes.NewReader(value), -1); err != nil {
			t.Fatal(err)
		}
		for _, rg := range [][2]int64{{0, -1}, {10, 20}, {-30, -1}, {-30, 10}, {n - 10, 100}, {n, 5}, {n + 5, 5}, {0, 0}, {-n - 10, 20}} {
			want, err := d.Load(ctx, "data/item", kv.Range(rg[0], rg[1]))
			if err != nil {
				t.Fatalf("%s: load %v: %v", remote, rg, err)
			}
			r, err := d.LoadStream(ctx, "data/item", kv.Range(rg[0], rg[1]))
			if err != nil {
				t.Fatalf("%s: load stream %v: %v", remote, rg, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: load stream %v: %d bytes, %v; want %d", remote, rg, len(got), err, len(want))
			}
		}
		if _, err := d.LoadStream(ctx, "data/missing"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("%s: load stream of a missing item: %v, want kv.ErrNotFound", remote, err)
		}
	}
}

// TestLoadStreamCancelled checks that a reader whose context is cancelled
// fails with the context's error, and that the driver's readers' lock is
// not held while the caller reads: a Store of the same name goes through.
func TestLoadStreamCancelled(t *testing.T) {
	d := openLocal(t)
	value := kvtest.Pattern(16<<20, 7)
	if err := d.Store(context.Background(), "data/item", value); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := d.LoadStream(ctx, "data/item")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(context.Background(), "data/item", []byte("new")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, context.Canceled) {
		t.Errorf("reading after the context was cancelled: %v, want context.Canceled", err)
	}
}
