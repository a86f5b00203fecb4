package rclone

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// TestInvalidNames: names that rclone would take but our rules reject are
// kv.ErrInvalidName before any call; such files made behind our back are
// skipped by List.
func TestInvalidNames(t *testing.T) {
	ctx := context.Background()
	d := openLocal(t)
	for _, name := range []string{"data/Upper", "data/a b", "data/x.tmp", "data/x.hid", "data/ä", "data/a?b", "/data/x", "data/../x"} {
		if err := d.Store(ctx, name, []byte("v")); !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("Store(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := d.Load(ctx, name); !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("Load(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	dir := strings.TrimPrefix(d.Remote(), ":local:")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Upper", "a b", "ok", "x.tmp", "y.hid"} {
		if err := os.WriteFile(filepath.Join(dir, "data", f), []byte("v"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for it, err := range d.List(ctx, "data") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, it.Name)
	}
	if strings.Join(names, ",") != "ok" {
		t.Errorf("List = %v, want [ok]", names)
	}
}

// TestStoreAtomic: Store leaves no temporary file behind, overwrites, and
// round-trips a value bigger than rclone's streaming cutoff.
func TestStoreAtomic(t *testing.T) {
	ctx := context.Background()
	d := openLocal(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, v := range [][]byte{[]byte("first"), big, []byte("x")} {
		if err := d.Store(ctx, "data/00/item", v); err != nil {
			t.Fatal(err)
		}
		got, err := d.Load(ctx, "data/00/item")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Load = %d bytes, %v; want %d bytes", len(got), err, len(v))
		}
	}
	dir := filepath.Join(strings.TrimPrefix(d.Remote(), ":local:"), "data", "00")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("files in %s: %v, %v; want only item", dir, entries, err)
	}
}
