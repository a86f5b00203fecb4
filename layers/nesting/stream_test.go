package nesting

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

// loadStream reads name through LoadStream.
func loadStream(t *testing.T, b kv.Backend, name string, opts ...kv.Option) (string, error) {
	t.Helper()
	r, err := b.LoadStream(t.Context(), name, opts...)
	if err != nil {
		return "", err
	}
	defer r.Close()
	v, err := io.ReadAll(r)
	return string(v), err
}

// storeStream stores value under name through StoreStream.
func storeStream(b kv.Backend, t *testing.T, name, value string) error {
	return b.StoreStream(t.Context(), name, strings.NewReader(value), int64(len(value)))
}

// TestStreamLevels checks that LoadStream finds an item at its level as
// Load does, and that StoreStream stores at the item's level, or at the
// last one for a new item, as Store does.
func TestStreamLevels(t *testing.T) {
	l, p := setup(t, map[string][]int{"data/": {1, 2}})
	put(t, p, "data/ab/abcdef01", "at level 1")
	put(t, p, "data/12/34/12345678", "at level 2")
	for name, want := range map[string]string{"data/abcdef01": "at level 1", "data/12345678": "at level 2"} {
		got, err := loadStream(t, l, name)
		if err != nil || got != want {
			t.Errorf("load stream %s = %q, %v; want %q", name, got, err, want)
		}
	}
	got, err := loadStream(t, l, "data/12345678", kv.Range(3, 5))
	if err != nil || got != "level" {
		t.Errorf("load stream of a range = %q, %v", got, err)
	}
	_, err = loadStream(t, l, "data/ffff0000")
	if !errors.Is(err, kv.ErrNotFound) || !strings.Contains(err.Error(), `"data/ffff0000"`) || strings.Contains(err.Error(), "data/ff/") {
		t.Errorf("load stream of a missing item: %v, want not found naming data/ffff0000", err)
	}

	if err := storeStream(l, t, "data/abcdef01", "new"); err != nil {
		t.Fatal(err)
	}
	if err := storeStream(l, t, "data/55667788", "new"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"data/ab/abcdef01": true, "data/ab/cd/abcdef01": false,
		"data/55/66/55667788": true, "data/55/55667788": false,
	} {
		if exists(t, p, name) != want {
			t.Errorf("%s exists: %v, want %v", name, !want, want)
		}
	}
	if got, err := loadStream(t, l, "data/abcdef01"); err != nil || got != "new" {
		t.Errorf("load stream after store stream = %q, %v", got, err)
	}
	err = storeStream(l, t, "data/ffff000A", "x")
	if !errors.Is(err, kv.ErrInvalidName) || !strings.Contains(err.Error(), "at 12") {
		t.Errorf("store stream with an uppercase letter: %v, want invalid name at position 12 of the caller's name", err)
	}
}

// TestStreamErrorsNameTheCallersKey checks that a stream that fails in the
// middle reports the caller's name, not the nested one.
func TestStreamErrorsNameTheCallersKey(t *testing.T) {
	l, p := setupFaults(t, map[string][]int{"data/": {1}}, []faults.Rule{{Ops: []kv.Op{kv.OpLoad}, Prefix: "data/", Err: kv.ErrConnection,
		Mode: faults.CutShort, CutAfter: 2}})
	put(t, p.faults.Unwrap(), "data/ff/ffff0000", "value")
	got, err := loadStream(t, l, "data/ffff0000")
	if got != "va" || !errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), `"data/ffff0000"`) ||
		strings.Contains(err.Error(), "data/ff/") {
		t.Errorf("load stream cut short: %q, %v; want 2 bytes and an error naming data/ffff0000", got, err)
	}
}
