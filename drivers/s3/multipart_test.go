package s3

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestPartSize checks that a value of known size never needs more than
// maxParts parts.
func TestPartSize(t *testing.T) {
	d := &Driver{cfg: config{partSize: MinPartSize}}
	for _, size := range []int64{-1, 0, MinPartSize, MinPartSize * maxParts, MinPartSize*maxParts + 1, 5 << 40} {
		ps := int64(d.partSize(size))
		if ps < MinPartSize || size > 0 && (size+ps-1)/ps > maxParts {
			t.Errorf("part size of %d bytes: %d", size, ps)
		}
	}
}

// TestPartReader cuts values around the part size and checks the parts and
// which one is the last.
func TestPartReader(t *testing.T) {
	const ps = 10
	for _, n := range []int{0, 1, 9, 10, 11, 20, 21, 35} {
		value := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), 1)[:n]
		r := &partReader{src: bytes.NewReader(value)}
		var got []byte
		for i := 0; ; i++ {
			buf := make([]byte, ps)
			k, last, err := r.fill(buf)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 && i > 0 {
				t.Errorf("%d bytes: an empty part after the first", n)
			}
			got = append(got, buf[:k]...)
			if last {
				break
			}
		}
		if !bytes.Equal(got, value) {
			t.Errorf("%d bytes: parts give %q", n, got)
		}
	}
	boom := errors.New("boom")
	r := &partReader{src: io.MultiReader(bytes.NewReader(make([]byte, 15)), errReader{boom})}
	if _, _, err := r.fill(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.fill(make([]byte, 10)); !errors.Is(err, boom) {
		t.Errorf("fill from a failing source: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestFirstPart checks the first part of a stream of unknown size around
// the sizes where its buffer grows and where it is full.
func TestFirstPart(t *testing.T) {
	const ps = 3*firstGrain + 100
	for _, n := range []int{0, 1, firstGrain - 1, firstGrain, firstGrain + 1, 2 * firstGrain, ps - 1, ps, ps + 1, 2 * ps} {
		value := make([]byte, n)
		for i := range value {
			value[i] = byte(i % 251)
		}
		r := &partReader{src: bytes.NewReader(value)}
		p, last, err := r.first(ps)
		if err != nil || last != (n <= ps) || !bytes.Equal(p, value[:min(n, ps)]) {
			t.Errorf("%d bytes: first part of %d bytes, last %v, %v", n, len(p), last, err)
		}
		if last {
			continue
		}
		rest := make([]byte, ps)
		k, _, err := r.fill(rest)
		if err != nil || !bytes.Equal(rest[:k], value[ps:min(n, 2*ps)]) {
			t.Errorf("%d bytes: second part of %d bytes, %v", n, k, err)
		}
	}
}
