package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// streamSize is the size of the values of the streaming cases: larger than
// any buffer a driver uses for one piece (a pipe, an sftp packet, an
// HTTP body buffer), and not a multiple of a power of two.
const streamSize = 3<<20 + 12345

// Pattern returns n bytes that differ from a shifted copy of themselves,
// so that a piece read from the wrong offset shows; seeds give different
// values.
func Pattern(n int, seed byte) []byte {
	v := make([]byte, n)
	x := uint32(seed) + 1
	for i := range v {
		x = x*1664525 + 1013904223
		v[i] = byte(x >> 24)
	}
	return v
}

// testStream checks LoadStream and StoreStream (docs/semantics.md,
// Streams): round trips with a known and an unknown size, ranges as Load
// has them, a size that lies, a source that fails or a context cancelled
// in the middle (nothing stored, the old value kept), a Writer abandoned by
// cancelling its context, a reader closed early, one version per reader,
// a missing item, and concurrent streams.
func testStream(t *testing.T, b kv.Backend) {
	big := Pattern(streamSize, 1)
	t.Run("RoundTrip", func(t *testing.T) {
		for _, size := range []int64{streamSize, -1} {
			name := fmt.Sprintf("stream/round%d", size+1)
			noErr(t, b.StoreStream(ctx(t), name, bytes.NewReader(big), size), "store stream %q size %d", name, size)
			loadStream(t, b, name, big)
			load(t, b, name, big)
		}
		noErr(t, b.StoreStream(ctx(t), "stream/empty", bytes.NewReader(nil), 0), "store stream of nothing")
		loadStream(t, b, "stream/empty", []byte{})
		// A source that gives one byte per Read, with no size.
		noErr(t, b.StoreStream(ctx(t), "stream/trickle", &oneByte{r: bytes.NewReader(big[:5000])}, -1), "store a trickle")
		loadStream(t, b, "stream/trickle", big[:5000])
	})
	t.Run("Ranges", func(t *testing.T) {
		noErr(t, b.StoreStream(ctx(t), "stream/ranges", bytes.NewReader(big), streamSize), "store stream")
		n := int64(streamSize)
		for _, r := range [][2]int64{{0, -1}, {0, 10}, {1 << 20, 1<<20 + 7}, {n - 5, 100}, {-70000, -1}, {-5, 3}, {n, 10}, {n + 10, 10}, {0, 0}} {
			want, err := b.Load(ctx(t), "stream/ranges", kv.Range(r[0], r[1]))
			noErr(t, err, "load range %v", r)
			loadStream(t, b, "stream/ranges", want, kv.Range(r[0], r[1]))
		}
	})
	t.Run("SizeLies", func(t *testing.T) {
		store(t, b, "stream/lies", "old")
		for _, size := range []int64{streamSize - 1, streamSize + 1, 0} {
			err := b.StoreStream(ctx(t), "stream/lies", bytes.NewReader(big), size)
			isErr(t, err, kv.ErrSizeMismatch, "store stream of %d bytes declared as %d", streamSize, size)
			load(t, b, "stream/lies", "old")
		}
		err := b.StoreStream(ctx(t), "stream/lies-new", bytes.NewReader(big), streamSize+1)
		isErr(t, err, kv.ErrSizeMismatch, "store stream declared one byte longer")
		isItem(t, b, "stream/lies-new", false)
	})
	t.Run("SourceFails", func(t *testing.T) {
		store(t, b, "stream/fails", "old")
		boom := errors.New("source broke")
		src := &FailingSource{R: bytes.NewReader(big), N: 1<<20 + 3, Err: boom}
		err := b.StoreStream(ctx(t), "stream/fails", src, -1)
		isErr(t, err, boom, "store stream from a source that fails")
		load(t, b, "stream/fails", "old")
		src = &FailingSource{R: bytes.NewReader(big), N: 10, Err: boom}
		isErr(t, b.StoreStream(ctx(t), "stream/fails-new", src, streamSize), boom, "store stream, new item")
		isItem(t, b, "stream/fails-new", false)
	})
	t.Run("Cancel", func(t *testing.T) {
		store(t, b, "stream/cancel", "old")
		c, cancel := context.WithCancel(ctx(t))
		src := &FailingSource{R: bytes.NewReader(big), N: 1 << 20, Hook: cancel}
		err := b.StoreStream(c, "stream/cancel", src, streamSize)
		isErr(t, err, context.Canceled, "store stream cancelled in the middle")
		load(t, b, "stream/cancel", "old")
	})
	t.Run("WriterAbandoned", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx(t))
		w := kv.NewWriter(c, b, "stream/abandoned", -1)
		_, err := w.Write(big[:1<<20])
		noErr(t, err, "write")
		cancel()
		isErr(t, w.Close(), context.Canceled, "close after the context was cancelled")
		isItem(t, b, "stream/abandoned", false)

		w = kv.NewWriter(ctx(t), b, "stream/written", streamSize)
		for p := big; len(p) > 0; p = p[min(len(p), 100000):] {
			_, err := w.Write(p[:min(len(p), 100000)])
			noErr(t, err, "write")
		}
		noErr(t, w.Close(), "close")
		loadStream(t, b, "stream/written", big)

		w = kv.NewWriter(ctx(t), b, "stream/withdrawn", -1)
		_, _ = w.Write(big[:1000])
		withdrawn := errors.New("changed my mind")
		isErr(t, w.CloseWithError(withdrawn), withdrawn, "close with an error")
		isItem(t, b, "stream/withdrawn", false)
	})
	t.Run("ClosedEarly", func(t *testing.T) {
		noErr(t, b.StoreStream(ctx(t), "stream/early", bytes.NewReader(big), streamSize), "store stream")
		for range 3 {
			r, err := b.LoadStream(ctx(t), "stream/early")
			noErr(t, err, "load stream")
			p := make([]byte, 1000)
			_, err = io.ReadFull(r, p)
			noErr(t, err, "read")
			if !bytes.Equal(p, big[:1000]) {
				t.Errorf("load stream: the first bytes differ")
			}
			noErr(t, r.Close(), "close early")
		}
		noErr(t, b.Delete(ctx(t), "stream/early"), "delete after readers closed early")
	})
	t.Run("OneVersion", func(t *testing.T) {
		noErr(t, b.StoreStream(ctx(t), "stream/version", bytes.NewReader(big), streamSize), "store stream")
		r, err := b.LoadStream(ctx(t), "stream/version")
		noErr(t, err, "load stream")
		defer r.Close()
		head := make([]byte, 100)
		_, err = io.ReadFull(r, head)
		noErr(t, err, "read")
		other := Pattern(streamSize, 2)
		noErr(t, b.StoreStream(ctx(t), "stream/version", bytes.NewReader(other), streamSize), "overwrite")
		rest, err := io.ReadAll(r)
		noErr(t, err, "read the rest")
		if got := append(head, rest...); !bytes.Equal(got, big) {
			t.Errorf("a reader saw a mix of two versions (or a short value: %d bytes)", len(got))
		}
	})
	t.Run("Missing", func(t *testing.T) {
		r, err := b.LoadStream(ctx(t), "stream/missing")
		isErr(t, err, kv.ErrNotFound, "load stream of a missing item")
		if r != nil {
			t.Errorf("load stream of a missing item returned a reader")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				name := fmt.Sprintf("stream/conc%d", i)
				v := Pattern(1<<20+i, byte(10+i))
				if err := b.StoreStream(ctx(t), name, bytes.NewReader(v), int64(len(v))); err != nil {
					t.Errorf("store stream %q: %v", name, err)
					return
				}
				loadStream(t, b, name, v)
			})
		}
		wg.Wait()
	})
}

// loadStream checks that LoadStream of name (with opts) reads want.
func loadStream(t *testing.T, b kv.Backend, name string, want []byte, opts ...kv.Option) {
	t.Helper()
	r, err := b.LoadStream(ctx(t), name, opts...)
	if err != nil {
		t.Errorf("load stream %q %v: %v", name, opts, err)
		return
	}
	got, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Errorf("load stream %q %v: %v", name, opts, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("load stream %q %v: got %d bytes %q, want %d bytes %q", name, opts, len(got), short(got), len(want), short(want))
	}
}

// oneByte reads one byte at a time from r.
type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// FailingSource is a StoreStream source for tests: it reads N bytes from
// R, then calls Hook (if any, once) and fails with Err, or, without Err,
// reads on.
type FailingSource struct {
	R    io.Reader
	N    int
	Err  error
	Hook func()
}

// Read reads from R as FailingSource says.
func (f *FailingSource) Read(p []byte) (int, error) {
	if f.N <= 0 {
		if f.Hook != nil {
			f.Hook()
			f.Hook = nil
		}
		if f.Err != nil {
			return 0, f.Err
		}
		return f.R.Read(p)
	}
	n, err := f.R.Read(p[:min(len(p), f.N)])
	f.N -= n
	return n, err
}
