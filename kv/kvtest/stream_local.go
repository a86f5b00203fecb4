package kvtest

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
)

// stallGuard bounds the wait for a StoreStream that should have returned:
// a guard against a hang, not a measure of time.
const stallGuard = 30 * time.Second

// TestStreamStall checks, on an open driver, that a StoreStream whose src
// stalls (the read end of an os.Pipe that gives 100 bytes, then nothing)
// returns context.Canceled when its context is cancelled while it waits
// in a Read, stores nothing, keeps the old value, and gives the pipe back
// usable, its read deadline cleared (backendkit.Interruptible). It is not
// part of TestBackend: a layer that wraps src hides the pipe's deadline.
func TestStreamStall(t *testing.T, b kv.Backend) {
	t.Helper()
	for _, name := range []string{"stall/new", "stall/old"} {
		if name == "stall/old" {
			store(t, b, name, "old")
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		defer pw.Close()
		if _, err := pw.Write(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		src := &enteringRead{File: pr, reads: make(chan struct{}, 100)}
		c, cancel := context.WithCancel(ctx(t))
		done := make(chan error, 1)
		go func() { done <- b.StoreStream(c, name, src, -1) }()
		// The second Read finds the pipe empty: cancel once the store
		// waits in it.
		<-src.reads
		<-src.reads
		cancel()
		select {
		case err = <-done:
		case <-time.After(stallGuard):
			t.Fatalf("store stream of %q from a stalled pipe: no return %v after the context was cancelled", name, stallGuard)
		}
		isErr(t, err, context.Canceled, "store stream of %q from a stalled pipe, cancelled", name)
		if name == "stall/old" {
			load(t, b, name, "old")
		} else {
			isItem(t, b, name, false)
		}
		// The pipe reads again: no deadline left behind.
		go func() { _, _ = pw.Write([]byte("after")) }()
		got := make([]byte, 5)
		if _, err := io.ReadFull(pr, got); err != nil || !bytes.Equal(got, []byte("after")) {
			t.Errorf("the pipe after the cancelled store: read %q, %v", got, err)
		}
	}
}

// enteringRead is a file that says on reads when a Read begins.
type enteringRead struct {
	*os.File
	reads chan struct{}
}

func (e *enteringRead) Read(p []byte) (int, error) {
	select {
	case e.reads <- struct{}{}:
	default:
	}
	return e.File.Read(p)
}
