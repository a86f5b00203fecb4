package posixfs

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// newBase returns a base directory that does not exist yet, in a fresh
// temporary directory.
func newBase(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "store")
}

// openStore returns a created and opened driver over a fresh base, closed
// when the test ends.
func openStore(t *testing.T, opts ...Option) *Driver {
	t.Helper()
	d, err := New(newBase(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return kvtest.OpenStore(t, d)
}

func mustNew(t *testing.T, base string) *Driver {
	t.Helper()
	d, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		base, want string
		err        error
	}{
		{"/a/b", "/a/b", nil},
		{"/a/./b/../c/", "/a/c", nil},
		{"rel/x", "", kv.ErrInvalidURL},
		{"", "", kv.ErrInvalidURL},
		{"/", "", kv.ErrInvalidURL},
		{"/a/..", "", kv.ErrInvalidURL},
	} {
		d, err := New(tc.base)
		if !errors.Is(err, tc.err) {
			t.Errorf("New(%q): error %v, want %v", tc.base, err, tc.err)
			continue
		}
		if err == nil && d.Base() != tc.want {
			t.Errorf("New(%q).Base() = %q, want %q", tc.base, d.Base(), tc.want)
		}
	}
	d := mustNew(t, "/x")
	if p := d.Properties(); p != (kv.Properties{Scheme: "file", Precreate: true}) {
		t.Errorf("Properties %+v, want scheme file and pre-creation", p)
	}
}

func TestCreate(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, base string)
		err   error
	}{
		{"MissingParents", func(t *testing.T, base string) {}, nil},
		{"EmptyBase", func(t *testing.T, base string) { mkdir(t, base) }, nil},
		{"HiddenFile", func(t *testing.T, base string) { writeFile(t, filepath.Join(base, ".hidden"), "x") }, kv.ErrExists},
		{"TempFile", func(t *testing.T, base string) { writeFile(t, filepath.Join(base, "a.123.tmp"), "x") }, kv.ErrExists},
		{"EmptyDir", func(t *testing.T, base string) { mkdir(t, filepath.Join(base, "data")) }, kv.ErrExists},
		{"BaseIsFile", func(t *testing.T, base string) { writeFile(t, base, "x") }, kv.ErrExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "deep", "store")
			tc.setup(t, base)
			err := mustNew(t, base).Create(ctx)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Create: %v, want %v", err, tc.err)
			}
		})
	}
}

func TestOpenDestroyNoStore(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, base string)
	}{
		{"Missing", func(t *testing.T, base string) {}},
		{"NotADir", func(t *testing.T, base string) { writeFile(t, base, "x") }},
		{"ParentIsFile", func(t *testing.T, base string) { writeFile(t, filepath.Dir(base), "x") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "p", "store")
			tc.setup(t, base)
			d := mustNew(t, base)
			if err := d.Open(ctx); !errors.Is(err, kv.ErrNoStore) {
				t.Errorf("Open: %v, want ErrNoStore", err)
			}
			if err := d.Destroy(ctx); !errors.Is(err, kv.ErrNoStore) {
				t.Errorf("Destroy: %v, want ErrNoStore", err)
			}
		})
	}
}

// TestDestroyKeepsBase checks that Destroy succeeds and empties the base
// when the base itself cannot be removed, because its parent is read-only
// (or immutable, as root).
func TestDestroyKeepsBase(t *testing.T) {
	ctx := t.Context()
	parent := t.TempDir()
	base := filepath.Join(parent, "store")
	d := mustNew(t, base)
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "data/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	lockDir(t, parent)
	if err := d.Destroy(ctx); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatalf("base should be kept: %v", err)
	}
	if len(entries) != 0 {
		t.Errorf("base not emptied: %v", entries)
	}
}

// lockDir makes dir refuse the removal of its entries until the test ends.
func lockDir(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		return
	}
	// Root ignores permissions, but not the immutable attribute.
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s immutable as root: %v %s", dir, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
}

// TestTempFiles checks that temporary files, left over or not, are never
// listed, and that a store leaves none behind.
func TestTempFiles(t *testing.T) {
	ctx := t.Context()
	d := openStore(t)
	if err := d.Store(ctx, "data/aa", []byte("1")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d.Base(), "data", "aa.12345.tmp"), "left over")
	writeFile(t, filepath.Join(d.Base(), "data", "quota.hid"), "internal")
	writeFile(t, filepath.Join(d.Base(), "data", "Upper"), "foreign")
	if got := listNames(t, d, "data"); got != "aa" {
		t.Errorf("List(data) = %q, want %q", got, "aa")
	}
	if err := d.Store(ctx, "data/aa", []byte("2")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Base(), "data"))
	var tmps int
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			tmps++
		}
	}
	if tmps != 1 {
		t.Errorf("%d temp files after store, want only the planted one", tmps)
	}
}

// TestStoreFailureRemovesTemp checks that a store that cannot rename
// (the target is a directory) leaves no temporary file behind.
func TestStoreFailureRemovesTemp(t *testing.T) {
	ctx := t.Context()
	d := openStore(t)
	if err := d.Mkdir(ctx, "data/dir"); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "data/dir", []byte("x")); err == nil {
		t.Fatal("Store over a directory succeeded")
	}
	entries, _ := os.ReadDir(filepath.Join(d.Base(), "data"))
	if len(entries) != 1 {
		t.Errorf("entries %v, want only dir", entries)
	}
}

func TestFsync(t *testing.T) {
	ctx := t.Context()
	d := openStore(t, WithFsync(true))
	for _, name := range []string{"top", "data/new/dir/x", "data/new/dir/x"} {
		if err := d.Store(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
		got, err := d.Load(ctx, name)
		if err != nil || string(got) != name {
			t.Fatalf("Load(%s) = %q, %v", name, got, err)
		}
	}
}

func TestAtime(t *testing.T) {
	ctx := t.Context()
	d := openStore(t)
	if err := d.Store(ctx, "x", nil); err != nil {
		t.Fatal(err)
	}
	info, err := d.Info(ctx, "x")
	if err != nil || info.Atime.IsZero() {
		t.Fatalf("Info = %+v, %v; want an atime", info, err)
	}
}

func listNames(t *testing.T, b kv.Backend, dir string) string {
	t.Helper()
	var names []string
	for it, err := range b.List(t.Context(), dir) {
		if err != nil {
			t.Fatalf("List(%q): %v", dir, err)
		}
		names = append(names, it.Name)
	}
	return strings.Join(names, ",")
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(name))
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
