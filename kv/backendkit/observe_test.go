package backendkit_test

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv/backendkit"
)

// TestObserveSourceRelative checks that ObserveSource reports positions
// from where the source was when it was handed over, also after a rewind
// to that point (as a retry layer does): a source that starts at offset
// 3 and is rewound there reports 0, not 3, and the bytes read again do
// not count twice in the positions.
func TestObserveSourceRelative(t *testing.T) {
	r := bytes.NewReader([]byte("abcdefghij"))
	if _, err := r.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var positions []int64
	var each int
	src := backendkit.ObserveSource(r, func(n int) { each += n }, func(pos int64) { positions = append(positions, pos) })
	start, err := src.Seek(0, io.SeekCurrent) // where a retry layer notes the start
	if err != nil || start != 3 {
		t.Fatalf("Seek(0, SeekCurrent) = %d, %v; want src's own offset 3", start, err)
	}
	buf := make([]byte, 4)
	if n, err := src.Read(buf); n != 4 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if _, err := src.Seek(start, io.SeekStart); err != nil { // the rewind
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 4, 0, 7}
	if !slices.Equal(positions, want) {
		t.Errorf("positions %v, want %v", positions, want)
	}
	if each != 11 {
		t.Errorf("each saw %d bytes, want the 11 read", each)
	}
}

// TestObserveSourceBasedLate checks the position when the first Seek
// comes after some reads.
func TestObserveSourceBasedLate(t *testing.T) {
	r := bytes.NewReader([]byte("abcdefghij"))
	if _, err := r.Seek(2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var last int64 = -1
	src := backendkit.ObserveSource(r, nil, func(pos int64) { last = pos })
	if _, err := io.CopyN(io.Discard, src, 5); err != nil {
		t.Fatal(err)
	}
	if last != 5 {
		t.Fatalf("after 5 bytes: %d", last)
	}
	if _, err := src.Seek(-2, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	if last != 3 {
		t.Errorf("after a seek back of 2: %d, want 3", last)
	}
}

// TestCountSource checks that CountSource counts every byte once through
// a rewind.
func TestCountSource(t *testing.T) {
	var n int64
	src := backendkit.CountSource(bytes.NewReader(make([]byte, 100)), func(k int64) { n += k })
	if _, err := io.CopyN(io.Discard, src, 60); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Errorf("counted %d bytes, want 100", n)
	}
}
