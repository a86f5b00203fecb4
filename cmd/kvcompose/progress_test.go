package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestStreamFiles checks put and get on files: put of a file of 3 MiB and
// of stdin (size unknown) round-trips through get -o and stdout; get -o of
// a missing item fails and leaves the directory as it was (no output, no
// temporary), as does put of a directory.
func TestStreamFiles(t *testing.T) {
	u, _ := newStore(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	value := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16+1)
	if err := os.WriteFile(in, value, 0o600); err != nil {
		t.Fatal(err)
	}
	ok(t, "", "put", u, "data/file", in)
	ok(t, string(value[:12345]), "put", u, "data/stdin", "-")
	out := filepath.Join(dir, "out")
	ok(t, "", "get", "-o", out, u, "data/file")
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, value) {
		t.Errorf("get -o: %d bytes (%v), want the %d put", len(got), err, len(value))
	}
	if got := ok(t, "", "get", u, "data/stdin"); got != string(value[:12345]) {
		t.Errorf("get of what put read from stdin: %d bytes", len(got))
	}
	if r := kvc(t, "", nil, "get", "-o", filepath.Join(dir, "missing"), u, "data/missing"); r.code != 1 {
		t.Errorf("get -o of a missing item: exit %d", r.code)
	}
	if r := kvc(t, "", nil, "put", u, "data/dir", dir); r.code != 1 || !strings.Contains(r.stderr, "is a directory") {
		t.Errorf("put of a directory: exit %d, %q", r.code, r.stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "in,out" {
		t.Errorf("the directory holds %q, want in and out only", names)
	}
}
