package posixfs

import (
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// TestItems checks the driver-specific error mapping and the corner cases
// of the item calls; kvtest.TestBackend covers the common rules.
func TestItems(t *testing.T) {
	ctx := t.Context()
	d := openStore(t)
	for _, name := range []string{"data/aa", "data/bb", "config/c", "file"} {
		if err := d.Store(ctx, name, []byte("0123456789")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Mkdir(ctx, "data/empty/sub"); err != nil {
		t.Fatal(err)
	}
	_, loadMissing := d.Load(ctx, "data/zz")
	_, loadUnderFile := d.Load(ctx, "file/x")
	_, loadDir := d.Load(ctx, "data")
	_, loadSoft := d.Load(ctx, "data/aa", kv.Deleted())
	var listMissing, listFile error
	for _, err := range d.List(ctx, "nope") {
		listMissing = err
	}
	for _, err := range d.List(ctx, "file") {
		listFile = err
	}
	for _, tc := range []struct {
		op   string
		err  error
		want error // nil: must fail without a sentinel
	}{
		{"load missing", loadMissing, kv.ErrNotFound},
		{"load under a file", loadUnderFile, kv.ErrNotFound},
		{"load dir", loadDir, nil},
		{"load soft deleted", loadSoft, kv.ErrUnsupported},
		{"store under a file", d.Store(ctx, "file/x", nil), kv.ErrExists},
		{"store invalid", d.Store(ctx, "a.tmp", nil), kv.ErrInvalidName},
		{"store range", d.Store(ctx, "a", nil, kv.Range(0, 1)), kv.ErrUnsupported},
		{"delete missing", d.Delete(ctx, "data/zz"), kv.ErrNotFound},
		{"delete dir", d.Delete(ctx, "data/empty/sub"), nil},
		{"move missing", d.Move(ctx, "data/zz", "new/dir/zz"), kv.ErrNotFound},
		{"move invalid target", d.Move(ctx, "data/aa", "/x"), kv.ErrInvalidName},
		{"mkdir over file", d.Mkdir(ctx, "file"), kv.ErrExists},
		{"mkdir under file", d.Mkdir(ctx, "file/x"), kv.ErrExists},
		{"rmdir missing", d.Rmdir(ctx, "nope"), kv.ErrNotFound},
		{"rmdir file", d.Rmdir(ctx, "file"), nil},
		{"rmdir non-empty", d.Rmdir(ctx, "data/empty"), kv.ErrExists},
		{"rmdir root", d.Rmdir(ctx, ""), kv.ErrInvalidName},
		{"list missing", listMissing, kv.ErrNotFound},
		{"list file", listFile, kv.ErrNotFound},
	} {
		if tc.err == nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, tc.err, tc.want)
		}
	}
	if _, err := d.Info(ctx, "data/empty/sub"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Info(ctx, "data/zz"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(ctx, "new"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("a failed move left something behind: %v", err)
	}
	if got := listNames(t, d, ""); got != "config,data,file" {
		t.Errorf("List root = %q", got)
	}
	if err := d.Move(ctx, "data/aa", "new/dir/aa"); err != nil {
		t.Errorf("Move to a missing directory: %v", err)
	}
}

func TestState(t *testing.T) {
	ctx := t.Context()
	d := mustNew(t, newBase(t))
	if err := d.Store(ctx, "../x", nil); !errors.Is(err, kv.ErrNotOpen) {
		t.Errorf("Store on a closed store: %v", err)
	}
	if err := d.Close(ctx); !errors.Is(err, kv.ErrNotOpen) {
		t.Errorf("Close on a closed store: %v", err)
	}
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for op, f := range map[string]func() error{
		"create":  func() error { return d.Create(ctx) },
		"open":    func() error { return d.Open(ctx) },
		"destroy": func() error { return d.Destroy(ctx) },
	} {
		if err := f(); !errors.Is(err, kv.ErrAlreadyOpen) {
			t.Errorf("%s on an open store: %v", op, err)
		}
	}
	if q, err := d.Quota(ctx); err != nil || q != (kv.Quota{Limit: -1, Usage: -1}) {
		t.Errorf("Quota = %v, %v", q, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
}
