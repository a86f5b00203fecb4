package memory

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestStoreStreamSizeLies checks that a declared size is not allocated on
// its word: a source that claims a terabyte and holds 10 bytes costs 10
// bytes and fails with kv.ErrSizeMismatch.
func TestStoreStreamSizeLies(t *testing.T) {
	d := kvtest.OpenStore(t, New(t.Name()))
	err := d.StoreStream(t.Context(), "data/lie", bytes.NewReader(make([]byte, 10)), 1<<40)
	if !errors.Is(err, kv.ErrSizeMismatch) {
		t.Errorf("store stream of 10 bytes declared as 1 TiB: %v", err)
	}
}

// TestReadValue checks the buffer StoreStream reads into: a value is read
// whole, with its size declared or not, around the sizes where it grows.
func TestReadValue(t *testing.T) {
	for _, n := range []int{0, 1, firstRead, firstRead + 1, 1<<20 + 3} {
		value := bytes.Repeat([]byte{7}, n)
		for _, size := range []int64{int64(n), -1} {
			v, err := readValue(bytes.NewReader(value), size)
			if err != nil || !bytes.Equal(v, value) {
				t.Errorf("readValue of %d bytes (size %d): %d bytes, %v", n, size, len(v), err)
			}
		}
	}
}
