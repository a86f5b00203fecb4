package kvtest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// TestProgress checks, on an open backend whose driver reports progress
// (backendkit.WithProgress), that a Store and a Load of a value of 2.5 pieces
// (backendkit.ProgressChunk) report a rising count of bytes that ends at the
// value's size, and that the value round-trips. Drivers that move a
// value at once need not report; this is not part of TestBackend.
func TestProgress(t *testing.T, b kv.Backend) {
	t.Helper()
	value := bytes.Repeat([]byte("0123456789abcdef"), (5*backendkit.ProgressChunk/2)/16)
	for _, op := range []string{"store", "load"} {
		var (
			mu      sync.Mutex
			reports []int64
		)
		c := backendkit.WithProgress(ctx(t), func(done int64) {
			mu.Lock()
			reports = append(reports, done)
			mu.Unlock()
		})
		var err error
		switch op {
		case "store":
			err = b.Store(c, "progress/value", value)
		case "load":
			var got []byte
			got, err = b.Load(c, "progress/value")
			if err == nil && !bytes.Equal(got, value) {
				t.Errorf("load: %d bytes that differ from the %d stored", len(got), len(value))
			}
		}
		noErr(t, err, "%s with progress", op)
		mu.Lock()
		if len(reports) < 3 || reports[len(reports)-1] != int64(len(value)) {
			t.Errorf("%s of %d bytes reported %v, want at least 3 reports ending at the size", op, len(value), reports)
		}
		for i := 1; i < len(reports); i++ {
			if reports[i] < reports[i-1] {
				t.Errorf("%s: reports %v do not rise", op, reports)
				break
			}
		}
		mu.Unlock()
	}
}
