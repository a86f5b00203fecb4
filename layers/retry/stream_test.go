package retry_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/retry"
)

// value is what the stream tests store: bigger than one Read.
var value = func() []byte {
	v := make([]byte, 100_000)
	for i := range v {
		v[i] = byte(i * 7)
	}
	return v
}()

// noSeek hides the io.Seeker of its reader.
type noSeek struct{ r io.Reader }

func (n noSeek) Read(p []byte) (int, error) { return n.r.Read(p) }

// badSeek is a reader whose Seek always fails.
type badSeek struct{ io.Reader }

func (badSeek) Seek(int64, int) (int64, error) { return 0, errors.New("no seeking here") }

// TestStoreStreamRetried checks when a StoreStream is retried: after a try
// that read nothing from src, or after one that read some of an io.Seeker,
// which is rewound to where it was at the call; never after a try that
// read some of a src that cannot seek back, whose error is returned.
func TestStoreStreamRetried(t *testing.T) {
	refuse := faults.Rule{Ops: []kv.Op{kv.OpStore}, Err: kv.ErrConnection, Times: 2}
	cut := faults.Rule{Ops: []kv.Op{kv.OpStore}, Err: kv.ErrConnection, Mode: faults.CutShort, CutAfter: 1000, Times: 2}
	for _, tc := range []struct {
		name    string
		rule    faults.Rule
		src     func() io.Reader
		want    []byte // stored; nil: the first error is returned
		wantTry int64
	}{
		{"refused-unseekable", refuse, func() io.Reader { return noSeek{bytes.NewReader(value)} }, value, 3},
		{"cut-seekable", cut, func() io.Reader { return bytes.NewReader(value) }, value, 3},
		{"cut-seekable-at-offset", cut, func() io.Reader {
			r := bytes.NewReader(value)
			r.Seek(10, io.SeekStart)
			return r
		}, value[10:], 3},
		{"cut-unseekable", cut, func() io.Reader { return noSeek{bytes.NewReader(value)} }, nil, 1},
		{"cut-seek-fails", cut, func() io.Reader { return badSeek{bytes.NewReader(value)} }, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, f := setup(t, retry.Config{}, tc.rule)
			ctx := t.Context()
			if err := f.Unwrap().Store(ctx, "ns/a", []byte("old")); err != nil {
				t.Fatal(err)
			}
			f.Reset()
			err := l.StoreStream(ctx, "ns/a", tc.src(), -1)
			if n := f.Calls(kv.OpStore); n != tc.wantTry {
				t.Errorf("%d tries, want %d", n, tc.wantTry)
			}
			got, lerr := l.Load(ctx, "ns/a")
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.want == nil {
				if !errors.Is(err, kv.ErrConnection) || !errors.Is(err, faults.ErrInjected) {
					t.Errorf("store stream: %v, want the injected error", err)
				}
				if string(got) != "old" {
					t.Errorf("after a failed store stream: %d bytes, want the old value", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("store stream: %v", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("stored %d bytes, want %d (equal: false)", len(got), len(tc.want))
			}
		})
	}
}

// TestStoreStreamGivesUp checks that a StoreStream that keeps failing
// gives up after MaxTries, rewinding its source each time.
func TestStoreStreamGivesUp(t *testing.T) {
	l, f := setup(t, retry.Config{MaxTries: 3},
		faults.Rule{Ops: []kv.Op{kv.OpStore}, Err: kv.ErrConnection, Mode: faults.CutShort, CutAfter: 10})
	err := l.StoreStream(t.Context(), "ns/a", bytes.NewReader(value), int64(len(value)))
	if !errors.Is(err, kv.ErrConnection) || f.Calls(kv.OpStore) != 3 {
		t.Errorf("store stream: %v after %d tries, want the error after 3", err, f.Calls(kv.OpStore))
	}
	if info, err := l.Info(t.Context(), "ns/a"); err != nil || info.Exists {
		t.Errorf("after giving up: %+v, %v; want no item", info, err)
	}
}

// TestLoadStreamRetried checks that opening a stream is retried, and that
// a failure in the middle of the stream is returned by Read, not resumed.
func TestLoadStreamRetried(t *testing.T) {
	ctx := t.Context()
	l, f := setup(t, retry.Config{}, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection, Times: 2})
	if err := l.Store(ctx, "ns/a", value); err != nil {
		t.Fatal(err)
	}
	r, err := l.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatalf("load stream: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, value) || f.Calls(kv.OpLoad) != 3 {
		t.Errorf("load stream: %d bytes, %v, after %d tries; want the value after 3", len(got), err, f.Calls(kv.OpLoad))
	}

	l, f = setup(t, retry.Config{}, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection,
		Mode: faults.CutShort, CutAfter: 5000, Times: 1})
	if err := l.Store(ctx, "ns/a", value); err != nil {
		t.Fatal(err)
	}
	r, err = l.LoadStream(ctx, "ns/a")
	if err != nil {
		t.Fatalf("load stream: %v", err)
	}
	defer r.Close()
	got, err = io.ReadAll(r)
	if !errors.Is(err, kv.ErrConnection) || len(got) != 5000 || f.Calls(kv.OpLoad) != 1 {
		t.Errorf("load stream cut short: %d bytes, %v, %d tries; want 5000 bytes, the error, 1 try", len(got), err, f.Calls(kv.OpLoad))
	}

	l, f = setup(t, retry.Config{}, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrPermission})
	if _, err := l.LoadStream(ctx, "ns/a"); !errors.Is(err, kv.ErrPermission) || f.Calls(kv.OpLoad) != 1 {
		t.Errorf("load stream refused for good: %v after %d tries, want 1", err, f.Calls(kv.OpLoad))
	}
}
