package quota_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/quota"
)

// untouchable is a source that fails the test when it is read.
type untouchable struct{ t *testing.T }

func (u untouchable) Read([]byte) (int, error) {
	u.t.Error("a StoreStream refused before its first byte read its source")
	return 0, io.ErrUnexpectedEOF
}

// brokenSource gives its bytes, then fails.
type brokenSource struct{ r io.Reader }

var errBroken = errors.New("the source broke")

func (b brokenSource) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = errBroken
	}
	return n, err
}

// sizeOf returns the size of name in l, -1 when it is missing.
func sizeOf(t *testing.T, l kv.Backend, name string) int64 {
	t.Helper()
	info, err := l.Info(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Exists {
		return -1
	}
	return info.Size
}

// TestStreamAccounting runs streams of known and unknown sizes on a layer
// with a limit of 100 bytes, up to the limit and past it, and checks the
// error, the usage and what the store holds after each.
func TestStreamAccounting(t *testing.T) {
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), 100))
	v := func(n int) io.Reader { return bytes.NewReader(bytes.Repeat([]byte{'x'}, n)) }
	stream := func(name string, src io.Reader, size int64) func(context.Context) error {
		return func(c context.Context) error { return l.StoreStream(c, name, src, size) }
	}
	steps := []struct {
		what  string
		call  func(context.Context) error
		err   error
		usage int64
		item  string
		size  int64 // of item afterwards, -1: missing
	}{
		{"40 known new", stream("ns/a", v(40), 40), nil, 40, "ns/a", 40},
		{"30 unknown new", stream("ns/b", v(30), -1), nil, 70, "ns/b", 30},
		{"overwrite 40 with 60 unknown", stream("ns/a", v(60), -1), nil, 90, "ns/a", 60},
		{"11 known new: refused before reading", stream("ns/c", untouchable{t}, 11), kv.ErrQuotaExceeded, 90, "ns/c", -1},
		{"11 unknown new: refused at the limit", stream("ns/c", v(11), -1), kv.ErrQuotaExceeded, 90, "ns/c", -1},
		{"overwrite 30 with 41 known: refused", stream("ns/b", untouchable{t}, 41), kv.ErrQuotaExceeded, 90, "ns/b", 30},
		{"overwrite 30 with 41 unknown: refused", stream("ns/b", v(41), -1), kv.ErrQuotaExceeded, 90, "ns/b", 30},
		{"10 unknown new: up to the limit", stream("ns/c", v(10), -1), nil, 100, "ns/c", 10},
		{"overwrite 10 with 10 known at the limit", stream("ns/c", v(10), 10), nil, 100, "ns/c", 10},
		{"overwrite 60 with 5 unknown", stream("ns/a", v(5), -1), nil, 45, "ns/a", 5},
		{"empty unknown", stream("ns/e", v(0), -1), nil, 45, "ns/e", 0},
		{"size lies", stream("ns/f", v(5), 10), kv.ErrSizeMismatch, 45, "ns/f", -1},
		{"source breaks", stream("ns/f", brokenSource{v(20)}, -1), errBroken, 45, "ns/f", -1},
		{"55 known new: up to the limit", stream("ns/g", v(55), 55), nil, 100, "ns/g", 55},
	}
	for _, s := range steps {
		err := s.call(t.Context())
		if (s.err == nil) != (err == nil) || (s.err != nil && !errors.Is(err, s.err)) {
			t.Fatalf("%s: %v, want %v", s.what, err, s.err)
		}
		if got := usage(t, l); got != s.usage {
			t.Errorf("%s: usage %d, want %d", s.what, got, s.usage)
		}
		if got := sizeOf(t, l, s.item); got != s.size {
			t.Errorf("%s: %s holds %d bytes, want %d", s.what, s.item, got, s.size)
		}
	}
	if got, held := usage(t, l), stored(t, l); got != held {
		t.Errorf("usage %d, the store holds %d", got, held)
	}
	// The refusal names the layer's limit, as a Store's does.
	err := l.StoreStream(t.Context(), "ns/h", strings.NewReader("x"), -1)
	if !errors.Is(err, kv.ErrQuotaExceeded) || !strings.Contains(err.Error(), "limit of 100") {
		t.Errorf("refusal: %v", err)
	}
}

// rewinder is a backend whose StoreStream reads the first k bytes of src
// and rewinds it to where it was, as a retry layer below the quota does
// after a failed try, before it stores.
type rewinder struct {
	kv.Backend
	k int64
}

func (r rewinder) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	s, ok := src.(io.Seeker)
	if !ok {
		return errors.New("the source cannot rewind")
	}
	start, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(io.Discard, src, r.k); err != nil && err != io.EOF {
		return err
	}
	if _, err := s.Seek(start, io.SeekStart); err != nil {
		return err
	}
	return r.Backend.StoreStream(ctx, name, src, size, opts...)
}

// TestStreamRewound checks that a stream of unknown size that a layer
// below rewinds and reads again counts each byte once: at the limit it
// passes, and the usage is its size. The source starts at an offset of
// its own (a file handed over part read), which the rewind returns to.
func TestStreamRewound(t *testing.T) {
	d := newStore(t)
	l := quota.New(rewinder{Backend: d, k: 60}, 100)
	if err := l.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	src := bytes.NewReader(make([]byte, 103))
	if _, err := src.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if err := l.StoreStream(t.Context(), "ns/a", src, -1); err != nil {
		t.Fatalf("100 bytes, 60 of them read twice, at a limit of 100: %v", err)
	}
	if got := usage(t, l); got != 100 {
		t.Errorf("usage %d, want 100", got)
	}
	if err := l.StoreStream(t.Context(), "ns/b", bytes.NewReader([]byte("x")), -1); !errors.Is(err, kv.ErrQuotaExceeded) {
		t.Errorf("one byte past the limit: %v", err)
	}
	mustClose(t, l)
	if got, held := parse(readRecordOf(t, d)), scanned(t, d); got != held || held != 100 {
		t.Errorf("record %d, store %d, want 100", got, held)
	}
}

// lossy is a backend whose StoreStream of names under "ns/" fails with
// kv.ErrConnection: after storing (the reply was lost) or after reading
// half of src and storing nothing (refused).
type lossy struct {
	kv.Backend
	storeFirst bool
}

func (b lossy) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if !strings.HasPrefix(name, "ns/") {
		return b.Backend.StoreStream(ctx, name, src, size, opts...)
	}
	if b.storeFirst {
		if err := b.Backend.StoreStream(ctx, name, src, size, opts...); err != nil {
			return err
		}
	} else if _, err := io.CopyN(io.Discard, src, 10); err != nil {
		return err
	}
	return fmt.Errorf("%w: the link broke", kv.ErrConnection)
}

// TestStreamLostReplies checks streams whose outcome is unknown (the link
// broke after the store, or before it): the quota settles them with an
// Info, and the usage and the record equal what the store holds.
func TestStreamLostReplies(t *testing.T) {
	for _, storeFirst := range []bool{true, false} {
		t.Run(fmt.Sprint("stored=", storeFirst), func(t *testing.T) {
			d := newStore(t)
			plain := open(t, d, -1)
			mustStore(t, plain, "ns/a", 300)
			mustClose(t, plain)
			l := quota.New(lossy{Backend: d, storeFirst: storeFirst}, 1000)
			if err := l.Open(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				n    int
				size int64
			}{{"ns/new", 50, 50}, {"ns/a", 20, -1}, {"ns/new2", 70, -1}} {
				err := l.StoreStream(t.Context(), c.name, bytes.NewReader(make([]byte, c.n)), c.size)
				if !errors.Is(err, kv.ErrConnection) {
					t.Errorf("%s: %v, want %v", c.name, err, kv.ErrConnection)
				}
			}
			want := stored(t, l)
			if got := usage(t, l); got != want {
				t.Errorf("usage %d, the store holds %d", got, want)
			}
			mustClose(t, l)
			if got, held := parse(readRecordOf(t, d)), scanned(t, d); got != held {
				t.Errorf("record %d, store %d", got, held)
			}
		})
	}
}

// TestStreamCrash checks that a session whose only change was a stream
// leaves the dirty mark when it crashes, and the next Open scans.
func TestStreamCrash(t *testing.T) {
	d := newStore(t)
	l := open(t, d, -1)
	if err := l.StoreStream(t.Context(), "ns/a", bytes.NewReader(make([]byte, 250)), -1); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(t.Context()); err != nil { // a crash
		t.Fatal(err)
	}
	l = open(t, d, -1)
	if got := usage(t, l); got != 250 {
		t.Errorf("usage after the crash: %d, want 250 from a scan", got)
	}
	mustClose(t, l)
}

// TestStreamConcurrentLimit streams values of unknown size through
// kv.Writer from many goroutines into one limit: the usage never passes
// the limit, and equals what the store holds at the end.
func TestStreamConcurrentLimit(t *testing.T) {
	const limit = 100_000
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), limit))
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				name := fmt.Sprintf("conc/w%d/%d", w, i%25)
				wr := kv.NewWriter(ctx, l, name, -1)
				chunk := make([]byte, 100+(w*131+i*17)%400)
				for range 1 + i%7 {
					if _, err := wr.Write(chunk); err != nil {
						break
					}
				}
				if err := wr.Close(); err != nil && !errors.Is(err, kv.ErrQuotaExceeded) {
					t.Errorf("%s: %v", name, err)
				}
				if q, _ := l.Quota(ctx); q.Usage > limit {
					t.Errorf("usage %d passed the limit", q.Usage)
				}
			}
		})
	}
	wg.Wait()
	if got, held := usage(t, l), stored(t, l); got != held {
		t.Errorf("usage %d, the store holds %d", got, held)
	}
}

// sameStripe returns two names of one stripe of the layer's name locks.
func sameStripe(t *testing.T) (string, string) {
	seen := map[int]string{}
	for i := 0; ; i++ {
		name := fmt.Sprintf("ns/%d", i)
		if other, ok := seen[quota.Stripe(name)]; ok {
			return other, name
		}
		seen[quota.Stripe(name)] = name
	}
}

// TestStreamHoldsOnlyItsName checks that a stream in progress holds its
// own name only: a goroutine that feeds a kv.Writer of one name and
// meanwhile stores, streams or deletes another name of the same lock
// stripe goes on (it waited for the stream forever when the stream held
// the whole stripe).
func TestStreamHoldsOnlyItsName(t *testing.T) {
	a, b := sameStripe(t)
	l := kvtest.OpenStore(t, quota.New(memory.New(t.Name()), 1000))
	ctx := t.Context()
	done := make(chan error, 1)
	go func() {
		w := kv.NewWriter(ctx, l, a, -1)
		if _, err := w.Write(make([]byte, 10)); err != nil { // the stream holds a now
			done <- err
			return
		}
		err := errors.Join(
			l.Store(ctx, b, make([]byte, 20)),
			l.StoreStream(ctx, b, bytes.NewReader(make([]byte, 30)), -1),
			l.Move(ctx, b, b+"x"),
			l.Delete(ctx, b+"x"),
		)
		w2 := kv.NewWriter(ctx, l, b, 5)
		if _, werr := w2.Write(make([]byte, 5)); werr != nil {
			err = errors.Join(err, werr)
		}
		if _, werr := w.Write(make([]byte, 10)); werr != nil {
			err = errors.Join(err, werr)
		}
		done <- errors.Join(err, w.Close(), w2.Close())
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("a call on %s waited for the stream of %s, of the same stripe", b, a)
	}
	if got := usage(t, l); got != 25 {
		t.Errorf("usage %d, want 25", got)
	}
}
