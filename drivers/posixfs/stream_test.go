package posixfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestStreamStall checks that cancelling the context stops a StoreStream
// whose source stalls, and that it leaves no temporary.
func TestStreamStall(t *testing.T) {
	d := openStore(t)
	kvtest.TestStreamStall(t, d)
	if names := dirNames(t, d, "stall"); !slices.Equal(names, []string{"old"}) {
		t.Errorf("after cancelled stores, the directory holds %q, want only the old item", names)
	}
}

// TestStreamNoTemporary checks that a StoreStream that fails after it made
// its temporary file (the source fails, the size lies, the context is
// cancelled, a directory is in the way) removes it: the directory holds
// what it held before, nothing else.
func TestStreamNoTemporary(t *testing.T) {
	value := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	boom := errors.New("source broke")
	for _, tc := range []struct {
		name string
		src  func(cancel func()) io.Reader
		size int64
		want error
	}{
		{"SourceFails", func(func()) io.Reader { return &kvtest.FailingSource{R: bytes.NewReader(value), N: 100000, Err: boom} }, -1, boom},
		{"TooShort", func(func()) io.Reader { return bytes.NewReader(value) }, int64(len(value)) + 1, kv.ErrSizeMismatch},
		{"TooLong", func(func()) io.Reader { return bytes.NewReader(value) }, int64(len(value)) - 1, kv.ErrSizeMismatch},
		{"Cancelled", func(cancel func()) io.Reader {
			return &kvtest.FailingSource{R: bytes.NewReader(value), N: 100000, Hook: cancel}
		}, int64(len(value)), context.Canceled},
	} {
		for _, fsync := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "", true: "/fsync"}[fsync], func(t *testing.T) {
				d := openStore(t, WithFsync(fsync))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if err := d.Store(ctx, "data/keep", []byte("old")); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"data/new", "data/keep"} {
					err := d.StoreStream(ctx, name, tc.src(cancel), tc.size)
					if !errors.Is(err, tc.want) {
						t.Errorf("store stream %q: %v, want %v", name, err, tc.want)
					}
				}
				if names := dirNames(t, d, "data"); !slices.Equal(names, []string{"keep"}) {
					t.Errorf("after failed stores, the directory holds %q, want only the old item", names)
				}
				got, err := d.Load(context.Background(), "data/keep")
				if err != nil || string(got) != "old" {
					t.Errorf("the old item after failed stores: %q, %v", got, err)
				}
			})
		}
	}
	t.Run("DirectoryInTheWay", func(t *testing.T) {
		d := openStore(t)
		if err := d.Mkdir(t.Context(), "data/dir"); err != nil {
			t.Fatal(err)
		}
		if err := d.StoreStream(t.Context(), "data/dir", bytes.NewReader(value), -1); err == nil {
			t.Errorf("store stream over a directory succeeded")
		}
		if names := dirNames(t, d, "data"); !slices.Equal(names, []string{"dir"}) {
			t.Errorf("after a failed store, the directory holds %q, want only the directory", names)
		}
	})
}

// TestStreamNewDirectory checks that StoreStream makes missing parent
// directories, reading the source once.
func TestStreamNewDirectory(t *testing.T) {
	d := openStore(t)
	src := &kvtest.FailingSource{R: bytes.NewReader([]byte("value")), N: 5, Err: io.EOF}
	if err := d.StoreStream(t.Context(), "a/b/c/item", src, -1); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load(t.Context(), "a/b/c/item")
	if err != nil || string(got) != "value" {
		t.Errorf("load: %q, %v", got, err)
	}
}

// TestStreamKeepsVersion checks that a LoadStream reader, whole or of a
// range, keeps reading the version it opened after another value is
// renamed over the item, or the item is deleted.
func TestStreamKeepsVersion(t *testing.T) {
	old := bytes.Repeat([]byte("old value "), 100000)
	for _, tc := range []struct {
		name   string
		opts   []kv.Option
		want   []byte
		change func(t *testing.T, d *Driver)
	}{
		{"RenamedOver", nil, old, func(t *testing.T, d *Driver) {
			if err := d.Store(t.Context(), "data/other", []byte("new")); err != nil {
				t.Fatal(err)
			}
			if err := d.Move(t.Context(), "data/other", "data/item"); err != nil {
				t.Fatal(err)
			}
		}},
		{"StoredOver", []kv.Option{kv.Range(1000, 500000)}, old[1000:501000], func(t *testing.T, d *Driver) {
			if err := d.StoreStream(t.Context(), "data/item", bytes.NewReader([]byte("new")), 3); err != nil {
				t.Fatal(err)
			}
		}},
		{"Deleted", []kv.Option{kv.Range(-20, -1)}, old[len(old)-20:], func(t *testing.T, d *Driver) {
			if err := d.Delete(t.Context(), "data/item"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openStore(t)
			if err := d.Store(t.Context(), "data/item", old); err != nil {
				t.Fatal(err)
			}
			r, err := d.LoadStream(t.Context(), "data/item", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			head := make([]byte, 10)
			if _, err := io.ReadFull(r, head); err != nil {
				t.Fatal(err)
			}
			tc.change(t, d)
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(head, rest...); !bytes.Equal(got, tc.want) {
				t.Errorf("the reader read %d bytes, not the %d of the version it opened", len(got), len(tc.want))
			}
		})
	}
}

// TestLoadStreamDirectory checks that LoadStream of a directory fails at
// the call, not at the first Read.
func TestLoadStreamDirectory(t *testing.T) {
	d := openStore(t)
	if err := d.Mkdir(t.Context(), "data/dir"); err != nil {
		t.Fatal(err)
	}
	if r, err := d.LoadStream(t.Context(), "data/dir"); err == nil {
		r.Close()
		t.Errorf("load stream of a directory succeeded")
	}
}

// dirNames lists the directory dir of the store's base with os.ReadDir,
// temporaries and hidden files included.
func dirNames(t *testing.T, d *Driver, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.Base(), dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
