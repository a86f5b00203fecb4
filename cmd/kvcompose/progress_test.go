package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestProgressReader checks the reader a command streams through when a
// bar is drawn: it counts every byte read, a Seek sets the count to the
// position (a retry that rewinds counts again from there), and a reader
// that cannot seek does not pretend to. Without a bar the reader is given
// back as it is.
func TestProgressReader(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	value := bytes.Repeat([]byte("x"), 100000)
	if err := os.WriteFile(file, value, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	quiet := &progress{}
	if r := quiet.reader(f); r != io.Reader(f) {
		t.Errorf("without a bar, the reader is wrapped: %T", r)
	}

	p := &progress{stop: make(chan struct{})} // a bar is drawn
	r := p.reader(f)
	if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(value)) || p.done.Load() != n {
		t.Errorf("copied %d bytes (%v), counted %d", n, err, p.done.Load())
	}
	s, ok := r.(io.Seeker)
	if !ok {
		t.Fatalf("the reader of a file cannot seek: %T", r)
	}
	if _, err := s.Seek(10, io.SeekStart); err != nil || p.done.Load() != 10 {
		t.Errorf("after a seek to 10: count %d, %v", p.done.Load(), err)
	}
	if _, ok := p.reader(bytes.NewBufferString("x")).(io.Seeker); ok {
		t.Errorf("the reader of a buffer claims to seek")
	}
}
