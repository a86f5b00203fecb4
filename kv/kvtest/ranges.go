package kvtest

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// rangeCases are the partial loads of docs/semantics.md on "0123456789".
var rangeCases = []struct {
	offset, size int64
	want         string
}{
	{0, -1, "0123456789"},
	{0, 10, "0123456789"},
	{2, 3, "234"},
	{0, 0, ""},
	{5, 0, ""},
	{7, 100, "789"},
	{10, 1, ""},
	{11, -1, ""},
	{1000, 5, ""},
	{4, -1, "456789"},
	{-3, -1, "789"},
	{-3, 100, "789"},
	{-4, 2, "67"},
	{-10, 1, "0"},
	{-11, 2, "01"},
	{-1000, -1, "0123456789"},
	{3, 4, "3456"},
	{9, 1, "9"},
	{-10, 3, "012"},
	{-100, 3, "012"},
	{-1, 0, ""},
	{1, 1 << 40, "123456789"},
}

func testRanges(t *testing.T, b kv.Backend) {
	store(t, b, "ranges/digits", "0123456789")
	store(t, b, "ranges/empty", "")
	for _, rc := range rangeCases {
		r := kv.Range(rc.offset, rc.size)
		load(t, b, "ranges/digits", rc.want, r)
		load(t, b, "ranges/empty", "", r)
		_, err := b.Load(ctx(t), "ranges/missing", r)
		isErr(t, err, kv.ErrNotFound, "load of a missing item with %v", r)
	}

	t.Run("Large", func(t *testing.T) {
		size := 8 << 20
		if !testing.Short() && os.Getenv("KVTEST_LARGE") == "1" {
			size = 100 << 20
		}
		value := make([]byte, size)
		for i := range value {
			value[i] = byte(i*7 + i>>10)
		}
		c := ctx(t)
		noErr(t, b.Store(c, "ranges/large", value), "store %d bytes", size)
		got, err := b.Load(c, "ranges/large")
		noErr(t, err, "load %d bytes", size)
		if !bytes.Equal(got, value) {
			t.Errorf("load of %d bytes: got %d bytes, not the value stored", size, len(got))
		}
		part, err := b.Load(c, "ranges/large", kv.Range(int64(size/2), 1<<20))
		noErr(t, err, "partial load of the large value")
		if !bytes.Equal(part, value[size/2:size/2+1<<20]) {
			t.Errorf("partial load of 1 MiB in the middle: wrong bytes")
		}
		info, err := b.Info(c, "ranges/large")
		noErr(t, err, "info")
		if info.Size != int64(size) {
			t.Errorf("info: size %d, want %d", info.Size, size)
		}
		noErr(t, b.Delete(c, "ranges/large"), "delete %s", fmt.Sprint(size))
	})
}
