package stats_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/stats"
)

// errBroken is the error of a stream that breaks in the middle.
var errBroken = errors.New("the link broke")

// streams is a backend below the stats layer for the stream tests: its
// LoadStream breaks after breakAt bytes (0: never), and its StoreStream
// reads rewind bytes of src and rewinds it, as a retry layer does, before
// it stores.
type streams struct {
	kv.Backend
	breakAt int
	rewind  int
}

func (s *streams) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	rc, err := s.Backend.LoadStream(ctx, name, opts...)
	if err != nil || s.breakAt == 0 {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, int64(s.breakAt)), iotestErr{}), rc}, nil
}

func (s *streams) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if s.rewind > 0 {
		seeker := src.(io.Seeker)
		start, err := seeker.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(io.Discard, src, int64(s.rewind)); err != nil {
			return err
		}
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	return s.Backend.StoreStream(ctx, name, src, size, opts...)
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBroken }

// TestStreams checks what the streaming calls count, on a fake clock: the
// bytes as they flow, a LoadStream's call, time and error when the
// stream ends (at its end, a failed Read or Close), not when it opens.
func TestStreams(t *testing.T) {
	ctx := context.Background()
	c := &clock{}
	below := &streams{Backend: memory.New("")}
	st := stats.New(below, stats.WithClock(c.now))
	kvtest.OpenStore(t, st)
	value := bytes.Repeat([]byte("0123456789"), 10) // 100 bytes
	if err := st.Store(ctx, "ns/a", value); err != nil {
		t.Fatal(err)
	}
	check := func(step, op string, want stats.OpStats) {
		t.Helper()
		if got := st.Snapshot().Ops[op]; got != want {
			t.Errorf("%s: %s %+v, want %+v", step, op, got, want)
		}
	}

	// Closed early: 30 bytes read, the call ends at Close, 5 s after it
	// opened.
	st.Reset()
	rc, err := st.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, rc, 30); err != nil {
		t.Fatal(err)
	}
	c.advance(5 * time.Second)
	check("open, 30 bytes read", "load", stats.OpStats{Bytes: 30})
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed early", "load", stats.OpStats{Calls: 1, Time: 5 * time.Second, Wall: 5 * time.Second, Bytes: 30})

	// To the end: the call ends at EOF; the Close after it counts nothing.
	st.Reset()
	rc, err = st.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	if got, err := io.ReadAll(rc); err != nil || len(got) != 100 {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	c.advance(time.Hour) // after the end: not the call's time
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	check("read to the end", "load", stats.OpStats{Calls: 1, Time: time.Second, Wall: time.Second, Bytes: 100})

	// A Read that fails: the call's error, the bytes before it counted.
	st.Reset()
	below.breakAt = 40
	rc, err = st.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, errBroken) {
		t.Fatalf("read: %v, want %v", err, errBroken)
	}
	rc.Close()
	check("broken", "load", stats.OpStats{Calls: 1, Errors: 1, Bytes: 40})
	below.breakAt = 0

	// Missing: counted at once, as expected.
	st.Reset()
	if _, err := st.LoadStream(ctx, "ns/zz"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	check("missing", "load", stats.OpStats{Calls: 1, Expected: 1})

	// StoreStream: the bytes read from src, once each when a layer below
	// rewinds it; a source that fails is the call's error.
	st.Reset()
	below.rewind = 60
	if err := st.StoreStream(ctx, "ns/b", bytes.NewReader(value), -1); err != nil {
		t.Fatal(err)
	}
	below.rewind = 0
	if err := st.StoreStream(ctx, "ns/c", io.MultiReader(strings.NewReader("abc"), iotestErr{}), -1); !errors.Is(err, errBroken) {
		t.Fatalf("failing source: %v", err)
	}
	check("store streams", "store", stats.OpStats{Calls: 2, Errors: 1, Bytes: 103})
	if got, err := st.Load(ctx, "ns/b"); err != nil || !bytes.Equal(got, value) {
		t.Fatalf("ns/b holds %q, %v", got, err)
	}
}

// TestStreamInFlight checks that an open LoadStream is a load in flight:
// the wall time runs until it ends.
func TestStreamInFlight(t *testing.T) {
	ctx := context.Background()
	c := &clock{}
	st, _ := newStore(t, c)
	if err := st.Store(ctx, "ns/a", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	st.Reset()
	first, err := st.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	if _, err := st.Load(ctx, "ns/a"); err != nil { // inside the stream's busy period
		t.Fatal(err)
	}
	c.advance(time.Second)
	first.Close()
	got := st.Snapshot().Ops["load"]
	if got.Calls != 2 || got.Wall != 2*time.Second || got.Time != 2*time.Second {
		t.Errorf("load %+v, want 2 calls, 2 s of wall time and of time", got)
	}
}
