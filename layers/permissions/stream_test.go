package permissions_test

import (
	"errors"
	"io"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// drainStream reads a LoadStream to its end and closes it.
func drainStream(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	return errors.Join(err, rc.Close())
}

// untouchable is a source that fails the test when it is read.
type untouchable struct{ t *testing.T }

func (u untouchable) Read([]byte) (int, error) {
	u.t.Error("a denied StoreStream read its source")
	return 0, io.ErrUnexpectedEOF
}

// TestStreamDeniedBeforeFirstByte checks that a denied StoreStream reads
// nothing from its source, whatever its size, and that a denied
// LoadStream returns no reader: the checks come before the first byte.
func TestStreamDeniedBeforeFirstByte(t *testing.T) {
	for _, tc := range []struct {
		name  string
		perms map[string]string
		item  string
	}{
		{"no-letter", map[string]string{"ns": "l"}, "ns/new"},
		{"w-over-existing", map[string]string{"ns": "lrw"}, "ns/item"},
		{"invalid-map", map[string]string{"ns": "lrwX"}, "ns/new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, st := setup(t, tc.perms)
			for _, size := range []int64{-1, 0, 10} {
				err := l.StoreStream(t.Context(), tc.item, untouchable{t}, size)
				if !errors.Is(err, kv.ErrPermission) {
					t.Errorf("StoreStream of size %d: %v, want %v", size, err, kv.ErrPermission)
				}
			}
			if tc.perms["ns"] == "l" {
				rc, err := l.LoadStream(t.Context(), "ns/item")
				if rc != nil || !errors.Is(err, kv.ErrPermission) {
					t.Errorf("LoadStream: reader %v, error %v; want no reader and %v", rc, err, kv.ErrPermission)
				}
			}
			if st.Snapshot().Ops["store"].Calls != 0 || st.Snapshot().Ops["load"].Calls != 0 {
				t.Errorf("a denied stream reached the store: %v", st.Snapshot())
			}
		})
	}
}
