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
// stalls (the read end of an os.Pipe whose writer has sent 1 MiB and then
// nothing) returns context.Canceled once its context is cancelled, stores
// nothing, keeps the old value, and gives the pipe back usable: its read
// deadline cleared (backendkit.Interruptible). It is not part of
// TestBackend: a layer that wraps src hides the pipe's deadline.
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
		c, cancel := context.WithCancel(ctx(t))
		done := make(chan error, 1)
		go func() { done <- b.StoreStream(c, name, pr, -1) }()
		// The write returns once the store has read most of it (a pipe
		// holds 64 KiB): the store is then reading, and stalls.
		if _, err := pw.Write(make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
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
		// The pipe reads again, to its end: no deadline left behind.
		go func() {
			_, _ = pw.Write([]byte("after"))
			pw.Close()
		}()
		rest, err := io.ReadAll(pr)
		if err != nil || !bytes.HasSuffix(rest, []byte("after")) {
			t.Errorf("the pipe after the cancelled store: read %q, %v", short(rest), err)
		}
	}
}
