package s3_test

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestLayout checks the objects the driver writes, those of borgstore's s3
// backend: PATH/ marks the store, PATH/DIR/.dir a directory, PATH/NAME
// holds an item.
func TestLayout(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	ctx := t.Context()
	d := kvtest.OpenStore(t, driverAt(t, s.URL(bucket, "borg/repo")))
	if err := d.Mkdir(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "config/settings", []byte("v")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"borg/repo/": "", "borg/repo/data/.dir": "", "borg/repo/config/settings": "v", "borg/repo/store.hid": string([]byte(backendkit.StoreRecordText))}
	got := map[string]string{}
	for obj := range s.Client().ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Prefix: "borg/", Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		r, err := s.Client().GetObject(ctx, bucket, obj.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		got[obj.Key] = string(v)
	}
	if len(got) != len(want) {
		t.Errorf("objects %q, want %q", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("object %s: %q (%v), want %q", k, g, ok, v)
		}
	}
}

// TestForeignStore reads a store whose objects another program (borgstore)
// wrote, without backendkit.StoreRecord, and skips the names that are not valid
// items (borgstore's names are lowercase ASCII without blanks; ours have
// fewer characters).
func TestForeignStore(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	ctx := t.Context()
	for key, v := range map[string]string{
		"repo/": "", "repo/config/settings": "s", "repo/data/00aa": "a", "repo/data/odd!name": "u",
		"repo/data/x.tmp": "t", "repo/data/q.hid": "h", "repo/data/odd#name": "s", "repo/data/00/": "",
		"repo/.dir": "", "repo/data/.dir": "", "repo/data/00/.dir": "", "repo/empty/.dir": "", "repo/old/": "",
	} {
		if err := putObject(t, s, bucket, key, v); err != nil {
			t.Fatal(err)
		}
	}
	d := driverAt(t, s.URL(bucket, "repo"))
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if v, err := d.Load(ctx, "config/settings"); err != nil || string(v) != "s" {
		t.Errorf("load config/settings: %q, %v", v, err)
	}
	var names []string
	for it, err := range d.List(ctx, "data") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, it.Name)
	}
	if want := []string{"00", "00aa"}; !slices.Equal(names, want) {
		t.Errorf("list data: %q, want %q", names, want)
	}
	// Directories that hold only their marker (borgstore's .dir, or the
	// PATH/DIR/ object of earlier versions of this driver) list empty.
	for _, dir := range []string{"empty", "old", "data/00"} {
		for it, err := range d.List(ctx, dir) {
			if err != nil {
				t.Fatalf("list %s: %v", dir, err)
			}
			t.Errorf("list %s: %q, want nothing", dir, it.Name)
		}
		if info, err := d.Info(ctx, dir); err != nil || !info.Directory {
			t.Errorf("info %s: %+v, %v; want a directory", dir, info, err)
		}
	}
	root := map[string]bool{}
	for it, err := range d.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		root[it.Name] = true
	}
	if len(root) != 4 || !root["config"] || !root["data"] || !root["empty"] || !root["old"] {
		t.Errorf("list of the root: %v, want config, data, empty, old", root)
	}
	if err := d.Rmdir(ctx, "old"); err != nil {
		t.Errorf("rmdir old: %v", err)
	}
	for _, name := range []string{".dir", "data/.dir"} {
		if err := d.Store(ctx, name, nil); !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("store %s: %v, want kv.ErrInvalidName (a directory marker)", name, err)
		}
		if err := d.Move(ctx, "config/settings", name); !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("move to %s: %v, want kv.ErrInvalidName (a directory marker)", name, err)
		}
	}
}
