package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// failingSource fails after the bytes of its reader.
type failingSource struct{ r io.Reader }

var errSource = errors.New("the source failed")

func (f failingSource) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errSource
	}
	return n, err
}

// TestStreams checks the measurements of the streaming calls: the bytes
// as they flow (a stream closed early counts what was read), one duration
// per stream when it ends, not when it opens, the error of a failed call.
func TestStreams(t *testing.T) {
	ctx := context.Background()
	l, r := openStore(t, nil)

	rc, err := l.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, rc, 4); err != nil {
		t.Fatal(err)
	}
	checkPoints(t, collect(t, r), map[string]point{"load": {bytes: 4}}) // open: no duration yet
	rc.Close()
	rc.Close() // a second Close records nothing
	rc, err = l.LoadStream(ctx, "ns/a", kv.Range(2, 5))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || string(got) != "23456" {
		t.Fatalf("read %q, %v", got, err)
	}
	rc.Close() // after the end: nothing more
	if _, err := l.LoadStream(ctx, "ns/zz"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := l.StoreStream(ctx, "ns/c", strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	if err := l.StoreStream(ctx, "ns/c", failingSource{bytes.NewReader([]byte("abc"))}, -1); !errors.Is(err, errSource) {
		t.Fatalf("failing source: %v", err)
	}
	checkPoints(t, collect(t, r), map[string]point{
		"load":                      {count: 2, bytes: 9},
		"load/not_found":            {count: 1},
		"store":                     {count: 1, bytes: 8},
		"store/*errors.errorString": {count: 1}, // the source's error
	})
}
