package logging_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/logcapture"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/logging"
)

// openStore returns an open logging layer over a memory store holding
// "ns/a" = "0123456789" and "ns/b" = "b", writing to a capture handler at
// level.
func openStore(t testing.TB, level slog.Level) (*logging.Layer, *logcapture.Handler) {
	t.Helper()
	drv := kvtest.Fill(t, kvtest.OpenStore(t, memory.New("")), map[string]string{"ns/a": "0123456789", "ns/b": "b"})
	logger, h := logcapture.Logger(level)
	return logging.New(drv, logger), h
}

func TestBackend(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return logging.New(memory.New(""), logger) })
}

// checkRecord checks the level, the message and the attributes of r; a
// wanted value "*" only needs the attribute to be there.
func checkRecord(t *testing.T, r slog.Record, level slog.Level, want map[string]string) {
	t.Helper()
	if r.Level != level || r.Message != logging.Message {
		t.Errorf("record %v %q, want %v %q", r.Level, r.Message, level, logging.Message)
	}
	got := logcapture.Attrs(r)
	for k, w := range want {
		if g, ok := got[k]; !ok || (w != "*" && g != w) {
			t.Errorf("%s = %q (present %v), want %q", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("attributes %v, want exactly %v", got, want)
	}
}

func TestRecords(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		call  func(l *logging.Layer) error
		level slog.Level
		attrs map[string]string
	}{
		{"load range", func(l *logging.Layer) error { _, err := l.Load(ctx, "ns/a", kv.Range(-4, 2)); return err },
			slog.LevelDebug, map[string]string{"op": "load", "name": "ns/a", "options": "[range(-4,2)]",
				"bytes": "2", "duration": "*"}},
		{"load missing: expected", func(l *logging.Layer) error { _, err := l.Load(ctx, "ns/zz"); return err },
			slog.LevelDebug, map[string]string{"op": "load", "name": "ns/zz", "duration": "*", "error": "*"}},
		{"store", func(l *logging.Layer) error { return l.Store(ctx, "ns/c", []byte("hello")) },
			slog.LevelDebug, map[string]string{"op": "store", "name": "ns/c", "bytes": "5", "duration": "*"}},
		{"store invalid: failure", func(l *logging.Layer) error { return l.Store(ctx, "ns/C", nil) },
			slog.LevelWarn, map[string]string{"op": "store", "name": "ns/C", "duration": "*", "error": "*"}},
		{"info missing", func(l *logging.Layer) error { _, err := l.Info(ctx, "ns/zz"); return err },
			slog.LevelDebug, map[string]string{"op": "info", "name": "ns/zz", "exists": "false", "duration": "*"}},
		{"move", func(l *logging.Layer) error { return l.Move(ctx, "ns/b", "ns/d") },
			slog.LevelDebug, map[string]string{"op": "move", "name": "ns/b", "to": "ns/d", "duration": "*"}},
		{"delete", func(l *logging.Layer) error { return l.Delete(ctx, "ns/b") },
			slog.LevelDebug, map[string]string{"op": "delete", "name": "ns/b", "duration": "*"}},
		{"hash", func(l *logging.Layer) error { _, err := l.Hash(ctx, "ns/a", "md5"); return err },
			slog.LevelDebug, map[string]string{"op": "hash", "name": "ns/a", "duration": "*"}},
		{"defrag", func(l *logging.Layer) error {
			_, err := l.Defrag(ctx, []kv.Block{{Name: "ns/a", Offset: 2, Size: 3}}, kv.Target("ns/e"))
			return err
		}, slog.LevelDebug, map[string]string{"op": "defrag", "name": "ns/e", "options": "[target(ns/e)]",
			"bytes": "3", "duration": "*"}},
		{"mkdir", func(l *logging.Layer) error { return l.Mkdir(ctx, "dir") },
			slog.LevelDebug, map[string]string{"op": "mkdir", "name": "dir", "duration": "*"}},
		{"rmdir missing", func(l *logging.Layer) error { return l.Rmdir(ctx, "nodir") },
			slog.LevelDebug, map[string]string{"op": "rmdir", "name": "nodir", "duration": "*", "error": "*"}},
		{"quota", func(l *logging.Layer) error { _, err := l.Quota(ctx); return err },
			slog.LevelDebug, map[string]string{"op": "quota", "duration": "*"}},
		{"open an open store: failure", func(l *logging.Layer) error { return l.Open(ctx) },
			slog.LevelWarn, map[string]string{"op": "open", "duration": "*", "error": "*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, h := openStore(t, slog.LevelDebug)
			err := tc.call(l)
			records := h.Take()
			if len(records) != 1 {
				t.Fatalf("%d records, want 1", len(records))
			}
			checkRecord(t, records[0], tc.level, tc.attrs)
			if e, ok := tc.attrs["error"]; ok && e == "*" && logcapture.Attrs(records[0])["error"] != err.Error() {
				t.Errorf("error %q, the call returned %v", logcapture.Attrs(records[0])["error"], err)
			}
		})
	}
}

// TestDebugOff checks that with Debug off only failures are logged, at
// Warn and without a duration.
func TestDebugOff(t *testing.T) {
	ctx := context.Background()
	l, h := openStore(t, slog.LevelInfo)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	l.Store(ctx, "ns/c", []byte("x"))
	l.Load(ctx, "ns/c")
	l.Load(ctx, "ns/zz")      // not found: expected
	l.Load(cancelled, "ns/c") // cancelled: expected
	l.StoreStream(ctx, "ns/d", strings.NewReader("x"), 1)
	if r, err := l.LoadStream(ctx, "ns/d"); err == nil {
		io.Copy(io.Discard, r)
		r.Close()
	}
	for range l.List(ctx, "nope") {
	}
	if r := h.Take(); len(r) != 0 {
		t.Fatalf("%d records with Debug off and no failure: %v", len(r), r)
	}
	err := l.Store(ctx, "ns/C", nil)
	for range l.List(ctx, "Bad") {
	}
	r := h.Take()
	if len(r) != 2 {
		t.Fatalf("%d records, want 2 failures", len(r))
	}
	checkRecord(t, r[0], slog.LevelWarn, map[string]string{"op": "store", "name": "ns/C", "error": err.Error()})
	checkRecord(t, r[1], slog.LevelWarn, map[string]string{"op": "list", "name": "Bad", "items": "0", "error": "*"})
}

func TestListRecord(t *testing.T) {
	ctx := context.Background()
	l, h := openStore(t, slog.LevelDebug)
	seq := l.List(ctx, "ns")
	if r := h.Take(); len(r) != 0 {
		t.Fatal("a record before the iteration")
	}
	for range seq {
		if h.Len() != 0 {
			t.Fatal("a record during the iteration")
		}
	}
	r := h.Take()
	if len(r) != 1 {
		t.Fatalf("%d records", len(r))
	}
	checkRecord(t, r[0], slog.LevelDebug, map[string]string{"op": "list", "name": "ns", "items": "2", "duration": "*"})
	for range seq {
		break
	}
	r = h.Take()
	checkRecord(t, r[0], slog.LevelDebug, map[string]string{"op": "list", "name": "ns", "items": "1",
		"abandoned": "true", "duration": "*"})
	for _, err := range l.List(ctx, "nope") {
		if !errors.Is(err, kv.ErrNotFound) {
			t.Fatalf("list of a missing directory: %v", err)
		}
	}
	checkRecord(t, h.Take()[0], slog.LevelDebug, map[string]string{"op": "list", "name": "nope", "items": "0",
		"duration": "*", "error": "*"})
}

// TestDefaultLogger checks that a nil logger is slog.Default at the time
// of the call.
func TestDefaultLogger(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	l := logging.New(memory.New(""), nil)
	logger, h := logcapture.Logger(slog.LevelDebug)
	slog.SetDefault(logger)
	l.Open(context.Background()) // no store: a failure
	r := h.Take()
	if len(r) != 1 {
		t.Fatalf("%d records", len(r))
	}
	checkRecord(t, r[0], slog.LevelWarn, map[string]string{"op": "open", "duration": "*", "error": "*"})
}

// TestDebugOffAllocations checks that with Debug off the layer adds no
// allocation to a Store, a Load or an Info.
func TestDebugOffAllocations(t *testing.T) {
	ctx := context.Background()
	l, _ := openStore(t, slog.LevelInfo)
	value := make([]byte, 4096)
	for _, b := range []kv.Backend{l, l.Unwrap()} {
		if err := b.Store(ctx, "ns/v", value); err != nil {
			t.Fatal(err)
		}
	}
	calls := func(b kv.Backend) func() {
		return func() {
			if err := b.Store(ctx, "ns/v", value); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Load(ctx, "ns/v"); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Info(ctx, "ns/v"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if layer, driver := testing.AllocsPerRun(100, calls(l)), testing.AllocsPerRun(100, calls(l.Unwrap())); layer != driver {
		t.Errorf("%v allocations per store, load and info, the driver alone %v", layer, driver)
	}
}

// TestDuration checks that the duration is the time the call took.
func TestDuration(t *testing.T) {
	l, h := openStore(t, slog.LevelDebug)
	start := time.Now()
	l.Load(context.Background(), "ns/a")
	took := time.Since(start)
	var d time.Duration
	h.Take()[0].Attrs(func(a slog.Attr) bool {
		if a.Key == logging.KeyDuration {
			d = a.Value.Duration()
		}
		return true
	})
	if d <= 0 || d > took {
		t.Errorf("duration %v, the call took %v", d, took)
	}
}
