package faults_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

// TestStreamModes checks each mode on LoadStream and StoreStream, which
// the rules of kv.OpLoad and kv.OpStore disturb: refused and lost replies
// fail the call, a stream cut short fails in the middle, after CutAfter
// bytes, and a store cut short stores nothing.
func TestStreamModes(t *testing.T) {
	ctx := t.Context()
	const value = "0123456789"
	injected := func(err error) bool { return errors.Is(err, kv.ErrConnection) && errors.Is(err, faults.ErrInjected) }
	for _, tc := range []struct {
		mode     faults.Mode
		cutAfter int64
		read     string // what the reader gives; "" when the call fails
		stored   string // the item after a StoreStream
	}{
		{faults.Refuse, 0, "", "old"},
		{faults.LoseReply, 0, "", value},
		{faults.CutShort, 0, "", "old"},
		{faults.CutShort, 4, "0123", "old"},
		{faults.CutShort, 100, value, "old"}, // the stream ends first: it fails at its end
	} {
		name := fmt.Sprintf("%s-%d", tc.mode, tc.cutAfter)
		t.Run("load-"+name, func(t *testing.T) {
			l := setup(t, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection, Mode: tc.mode, CutAfter: tc.cutAfter})
			if err := l.Store(ctx, "ns/a", []byte(value)); err != nil {
				t.Fatal(err)
			}
			r, err := l.LoadStream(ctx, "ns/a")
			if tc.mode != faults.CutShort {
				if !injected(err) || r != nil {
					t.Fatalf("load stream: %v, %v; want the injected error and no reader", r, err)
				}
			} else {
				if err != nil {
					t.Fatalf("load stream cut short: %v, want the error from Read", err)
				}
				got, err := io.ReadAll(r)
				if string(got) != tc.read || !injected(err) {
					t.Errorf("read cut short after %d: %q, %v; want %q and the injected error", tc.cutAfter, got, err, tc.read)
				}
				if err := r.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}
			if l.Calls(kv.OpLoad) != 1 || l.Injected(kv.OpLoad) != 1 {
				t.Errorf("calls %d, injected %d; want 1, 1", l.Calls(kv.OpLoad), l.Injected(kv.OpLoad))
			}
		})
		t.Run("store-"+name, func(t *testing.T) {
			l := setup(t, faults.Rule{Ops: []kv.Op{kv.OpStore}, Err: kv.ErrConnection, Mode: tc.mode, CutAfter: tc.cutAfter, After: 1})
			if err := l.Store(ctx, "ns/a", []byte("old")); err != nil {
				t.Fatal(err)
			}
			src := strings.NewReader(value)
			err := l.StoreStream(ctx, "ns/a", src, int64(len(value)))
			if !injected(err) {
				t.Errorf("store stream: %v, want the injected error", err)
			}
			if read := int64(len(value)) - int64(src.Len()); tc.mode == faults.CutShort && read > tc.cutAfter {
				t.Errorf("store stream cut short after %d read %d bytes of its source", tc.cutAfter, read)
			}
			got, err := l.Unwrap().Load(ctx, "ns/a")
			if err != nil || string(got) != tc.stored {
				t.Errorf("after store stream: %q, %v; want %q", got, err, tc.stored)
			}
			if l.Calls(kv.OpStore) != 2 || l.Injected(kv.OpStore) != 1 {
				t.Errorf("calls %d, injected %d; want 2, 1", l.Calls(kv.OpStore), l.Injected(kv.OpStore))
			}
		})
	}
}
