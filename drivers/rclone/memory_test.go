package rclone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// TestMemoryRemote: the rcd of a :memory: remote is kept alive, so items
// survive Close and Open, and Destroy stops it. It also pins down where an
// object store differs from docs/semantics.md: directories exist only while
// they hold items.
func TestMemoryRemote(t *testing.T) {
	requireRclone(t)
	if !hasMemoryBackend(t) {
		t.Skip("the installed rclone has no memory backend")
	}
	ctx := context.Background()
	d := openMemory(t)
	if err := d.Store(ctx, "data/ab/x", []byte("value")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s := d.srv.Load()
	if s == nil || s.exited() {
		t.Fatal("Close stopped the rcd of a :memory: remote")
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := d.Load(ctx, "data/ab/x"); err != nil || string(v) != "value" {
		t.Fatalf("Load after reopen = %q, %v", v, err)
	}

	if it, err := d.Info(ctx, "data/ab"); err != nil || !it.Exists || !it.Directory {
		t.Errorf("Info(dir holding an item) = %+v, %v", it, err)
	}
	if err := d.Rmdir(ctx, "data/ab"); err == nil {
		t.Error("Rmdir of a non-empty directory succeeded")
	}
	// An object store has no directories; a hidden marker keeps an empty
	// one, which Rmdir removes.
	if err := d.Mkdir(ctx, "empty/dir"); err != nil {
		t.Fatal(err)
	}
	if it, err := d.Info(ctx, "empty/dir"); err != nil || !it.Exists || !it.Directory {
		t.Errorf("Info(empty dir) = %+v, %v; want a directory", it, err)
	}
	for it, err := range d.List(ctx, "empty/dir") {
		t.Errorf("List(empty dir) yielded %+v, %v; want nothing (the marker is hidden)", it, err)
	}
	if err := d.Rmdir(ctx, "empty/dir"); err != nil {
		t.Errorf("Rmdir(empty dir) = %v", err)
	}
	for _, err := range d.List(ctx, "empty/dir") {
		if !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("List(removed dir) = %v, want ErrNotFound", err)
		}
	}
	if err := d.Rmdir(ctx, "no/such/dir"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Rmdir(missing) = %v, want ErrNotFound", err)
	}

	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.exited() || d.srv.Load() != nil {
		t.Error("Destroy left the rcd of a :memory: remote running")
	}
}

// TestConcurrent stores, loads and lists from many goroutines at once
// through one rcd.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	d := openLocal(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("data/%02x/item%d", g, i)
				v := bytes.Repeat([]byte{byte(g), byte(i)}, 3000)
				if err := d.Store(ctx, name, v); err != nil {
					errs <- err
					return
				}
				got, err := d.Load(ctx, name)
				if err != nil || !bytes.Equal(got, v) {
					errs <- fmt.Errorf("Load(%s) = %d bytes, %v", name, len(got), err)
					return
				}
				for _, err := range d.List(ctx, "data") {
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
