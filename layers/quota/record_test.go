package quota_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/quota"
)

// readRecord returns the content of the record in d, an open store.
func readRecord(t *testing.T, d kv.Backend) string {
	t.Helper()
	b, err := d.Load(t.Context(), quota.RecordName, quota.RecordOpts...)
	if err != nil {
		t.Fatalf("load the record: %v", err)
	}
	return string(b)
}

// withDriver opens d alone, runs f on it and closes it.
func withDriver(t *testing.T, d kv.Backend, f func()) {
	t.Helper()
	if err := d.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	f()
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// open opens a new layer with limit over d, failing the test on an error.
func open(t *testing.T, d kv.Backend, limit int64) *quota.Layer {
	t.Helper()
	l := quota.New(d, limit)
	if err := l.Open(t.Context()); err != nil {
		t.Fatalf("open: %v", err)
	}
	return l
}

func mustClose(t *testing.T, b kv.Backend) {
	t.Helper()
	if err := b.Close(t.Context()); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func mustStore(t *testing.T, b kv.Backend, name string, n int) {
	t.Helper()
	if err := b.Store(t.Context(), name, make([]byte, n)); err != nil {
		t.Fatalf("store %s: %v", name, err)
	}
}

// newStore returns a created memory store, destroyed when the test ends.
func newStore(t *testing.T) *memory.Driver {
	d := memory.New(t.Name())
	if err := d.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()); _ = d.Destroy(context.Background()) })
	return d
}

// TestRestart checks that the usage survives Close and Open, read from the
// record (not scanned again), and that the limit applies to it.
func TestRestart(t *testing.T) {
	d := newStore(t)
	l := open(t, d, 1000)
	mustStore(t, l, "ns/a", 300)
	mustStore(t, l, "ns/b", 500)
	if err := l.Delete(t.Context(), "ns/a"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	withDriver(t, d, func() {
		if got := readRecord(t, d); got != "500" {
			t.Errorf("record after close: %q, want 500", got)
		}
	})

	l = open(t, d, 1000)
	if got := usage(t, l); got != 500 {
		t.Errorf("usage after a restart: %d, want 500", got)
	}
	if err := l.Store(t.Context(), "ns/c", make([]byte, 501)); !errors.Is(err, kv.ErrQuotaExceeded) {
		t.Errorf("store past the limit after a restart: %v", err)
	}
	mustClose(t, l)

	// A record that disagrees with the store is believed: it is read, not
	// replaced by a scan.
	withDriver(t, d, func() {
		if err := d.Store(t.Context(), quota.RecordName, []byte("12345"), quota.RecordOpts...); err != nil {
			t.Fatal(err)
		}
	})
	l = open(t, d, -1)
	if got := usage(t, l); got != 12345 {
		t.Errorf("usage from a record of 12345: %d", got)
	}
	mustClose(t, l)
}

// TestRecordMissingOrInvalid checks that the store is scanned (every
// directory, soft-deleted items included) when the record is missing or
// holds no valid number, and that a valid one in borgstore's format (a
// decimal number; borgstore writes no newline, but Python's int() takes
// white space) is read.
func TestRecordMissingOrInvalid(t *testing.T) {
	const scanned = "1060" // the sizes of the items below
	cases := []struct {
		record string // "" for none
		want   string
	}{
		{"", scanned},
		{"garbage", scanned},
		{"-5", scanned},
		{"1e3", scanned},
		{"12 34", scanned},
		{" ", scanned},
		{"99999999999999999999999", scanned},
		{"4096", "4096"},
		{"4096\n", "4096"},
		{" 77 ", "77"},
		{"0", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.record, func(t *testing.T) {
			d := newStore(t)
			withDriver(t, d, func() {
				for name, n := range map[string]int{"top": 10, "ns/a": 1000, "ns/sub/b": 40, "ns/sub/c.del": 10} {
					mustStore(t, d, name, n)
				}
				if err := d.Mkdir(t.Context(), "empty/dir"); err != nil {
					t.Fatal(err)
				}
				if tc.record != "" {
					if err := d.Store(t.Context(), quota.RecordName, []byte(tc.record), quota.RecordOpts...); err != nil {
						t.Fatal(err)
					}
				}
			})
			l := open(t, d, -1)
			if got := usage(t, l); got != parse(tc.want) {
				t.Errorf("usage with the record %q: %d, want %s", tc.record, got, tc.want)
			}
			if tc.want == scanned {
				if got := readRecord(t, d); got != scanned {
					t.Errorf("the scan was not written to the record: %q", got)
				}
			}
			mustClose(t, l)
		})
	}
}

func parse(s string) (n int64) {
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestPersistDelta checks that a change of PersistDelta bytes is written
// to the record at once, and a smaller one only on Close.
func TestPersistDelta(t *testing.T) {
	d := newStore(t)
	l := open(t, d, -1)
	mustStore(t, l, "ns/small", 100)
	if got := readRecord(t, d); got != "0" {
		t.Errorf("record after a small store: %q, want 0 (not written yet)", got)
	}
	mustStore(t, l, "ns/big", quota.PersistDelta)
	if got, want := readRecord(t, d), "10000100"; got != want {
		t.Errorf("record after a big store: %q, want %s", got, want)
	}
	mustClose(t, l)
}

// TestTwoSessions opens one posixfs store through two layers at once, as
// two processes would: each adds its own change to the record, as in
// borgstore, so both count.
func TestTwoSessions(t *testing.T) {
	dir := t.TempDir() + "/store"
	driver := func() kv.Backend {
		d, err := posixfs.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := driver()
	if err := first.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, b := open(t, first, 100_000), open(t, driver(), 100_000)
	mustStore(t, a, "ns/a", 500)
	mustClose(t, a)
	mustStore(t, b, "ns/b", 300)
	if err := b.Delete(t.Context(), "ns/a"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, b)
	c := open(t, driver(), 100_000)
	if got := usage(t, c); got != 300 {
		t.Errorf("usage after two sessions: %d, want 300", got)
	}
	mustClose(t, c)
}

// TestOpenErrors checks that Open and Close pass the state errors of the
// store below on.
func TestOpenErrors(t *testing.T) {
	l := quota.New(memory.New(t.Name()), 10)
	if err := l.Open(t.Context()); !errors.Is(err, kv.ErrNoStore) {
		t.Errorf("open of a missing store: %v", err)
	}
	if err := l.Close(t.Context()); !errors.Is(err, kv.ErrNotOpen) {
		t.Errorf("close of a closed store: %v", err)
	}
	if _, err := l.Quota(t.Context()); !errors.Is(err, kv.ErrNotOpen) {
		t.Errorf("quota of a closed store: %v", err)
	}
}

// TestRecordWrittenOutside opens a posixfs store whose record a process
// other than kvcompose wrote, as borgstore's posixfs writes its quota.hid
// (the usage in decimal, no newline), and checks that the layer reads it
// and writes it back in the same form.
func TestRecordWrittenOutside(t *testing.T) {
	dir := t.TempDir() + "/store"
	d, err := posixfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	withDriver(t, d, func() { mustStore(t, d, "config/manifest", 10) })
	record := filepath.Join(dir, quota.RecordName)
	if err := os.WriteFile(record, []byte("4096"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := open(t, d, 5000)
	if got := usage(t, l); got != 4096 {
		t.Errorf("usage from the record: %d, want 4096", got)
	}
	if err := l.Store(t.Context(), "packs/01/0123", make([]byte, 905)); !errors.Is(err, kv.ErrQuotaExceeded) {
		t.Errorf("store past the limit: %v", err)
	}
	mustStore(t, l, "packs/01/0123", 904)
	mustClose(t, l)
	if b, err := os.ReadFile(record); err != nil || string(b) != "5000" {
		t.Errorf("record on disk: %q, %v; want 5000", b, err)
	}
}

// TestCloseCannotWrite checks that a Close that cannot write the record
// (its context is done) still closes the store, returns the error, and
// leaves no stale record: the next Open scans the store.
func TestCloseCannotWrite(t *testing.T) {
	d := newStore(t)
	l := open(t, d, -1)
	mustStore(t, l, "ns/a", 100)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Close(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("close with a cancelled context: %v", err)
	}
	if err := d.Open(t.Context()); err != nil {
		t.Fatalf("the store was not closed: %v", err)
	}
	if _, err := d.Load(t.Context(), quota.RecordName, quota.RecordOpts...); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("the stale record stayed: %v", err)
	}
	mustClose(t, d)
	l = open(t, d, -1)
	if got := usage(t, l); got != 100 {
		t.Errorf("usage after the scan: %d, want 100", got)
	}
	mustClose(t, l)
}
