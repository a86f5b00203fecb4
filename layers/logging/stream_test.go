package logging_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/logcapture"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/logging"
)

// TestStreamRecords checks that a LoadStream is logged once, when its
// stream ends (Close, its end, or a Read error), not when LoadStream
// returns, with the bytes read and the stream's error; and that a
// StoreStream is logged with the bytes read from its source.
func TestStreamRecords(t *testing.T) {
	ctx := context.Background()
	l, h := openStore(t, slog.LevelDebug)
	r, err := l.LoadStream(ctx, "ns/a", kv.Range(2, -1))
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 3)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	if n := h.Len(); n != 0 {
		t.Fatalf("%d records before the stream ended, want 0", n)
	}
	r.Close()
	r.Close()
	recs := h.Take()
	if len(recs) != 1 {
		t.Fatalf("%d records after Close, want 1", len(recs))
	}
	checkRecord(t, recs[0], slog.LevelDebug, map[string]string{"op": "load", "name": "ns/a", "options": "[range(2,-1)]",
		"stream": "true", "bytes": "3", "duration": "*"})

	r, err = l.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := io.ReadAll(r); err != nil || len(v) != 10 {
		t.Fatalf("read: %q, %v", v, err)
	}
	recs = h.Take()
	if len(recs) != 1 {
		t.Fatalf("%d records at the end of the stream, want 1", len(recs))
	}
	checkRecord(t, recs[0], slog.LevelDebug, map[string]string{"op": "load", "name": "ns/a", "stream": "true",
		"bytes": "10", "duration": "*"})
	r.Close()
	if n := h.Len(); n != 0 {
		t.Errorf("%d records after Close of an ended stream, want 0", n)
	}

	if _, err := l.LoadStream(ctx, "ns/zz"); err == nil {
		t.Fatal("load stream of a missing item succeeded")
	}
	recs = h.Take()
	if len(recs) != 1 {
		t.Fatalf("%d records for a missing item, want 1", len(recs))
	}
	checkRecord(t, recs[0], slog.LevelDebug, map[string]string{"op": "load", "name": "ns/zz", "stream": "true",
		"duration": "*", "error": "*"})

	if err := l.StoreStream(ctx, "ns/c", strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	err = l.StoreStream(ctx, "ns/c", strings.NewReader("hello"), 7)
	recs = h.Take()
	if err == nil || len(recs) != 2 {
		t.Fatalf("store streams: %v, %d records", err, len(recs))
	}
	checkRecord(t, recs[0], slog.LevelDebug, map[string]string{"op": "store", "name": "ns/c", "stream": "true",
		"bytes": "5", "duration": "*"})
	checkRecord(t, recs[1], slog.LevelWarn, map[string]string{"op": "store", "name": "ns/c", "stream": "true",
		"bytes": "5", "duration": "*", "error": err.Error()})
}

// TestStreamFailure checks that a stream that fails in the middle is
// logged at Warn with the bytes it delivered, with Debug on and off.
func TestStreamFailure(t *testing.T) {
	ctx := context.Background()
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(level.String(), func(t *testing.T) {
			drv := kvtest.Fill(t, kvtest.OpenStore(t, memory.New("")), map[string]string{"ns/a": "0123456789"})
			logger, h := logcapture.Logger(level)
			l := logging.New(faults.New(drv, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection,
				Mode: faults.CutShort, CutAfter: 4, After: 1}), logger)
			r, err := l.LoadStream(ctx, "ns/a") // passes
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, r)
			r.Close()
			h.Take()
			r, err = l.LoadStream(ctx, "ns/a") // cut short
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			v, err := io.ReadAll(r)
			if err == nil || len(v) != 4 {
				t.Fatalf("read: %q, %v; want 4 bytes and an error", v, err)
			}
			recs := h.Take()
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			want := map[string]string{"op": "load", "name": "ns/a", "stream": "true", "bytes": "4", "error": err.Error()}
			if level == slog.LevelDebug {
				want["duration"] = "*"
			}
			checkRecord(t, recs[0], slog.LevelWarn, want)
		})
	}
}
