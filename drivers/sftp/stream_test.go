package sftp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// temporaries returns the temporary files below the store of d, which is
// on the local disk in the tests.
func temporaries(t *testing.T, d *sftp.Driver) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(sftp.Base(d), func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, kv.TempSuffix) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hook is a source that calls at once it has given n bytes.
type hook struct {
	r    io.Reader
	n    int
	at   func()
	once sync.Once
	err  error // returned from then on, when not nil
}

func (h *hook) Read(p []byte) (int, error) {
	if h.n <= 0 {
		h.once.Do(h.at)
		if h.err != nil {
			return 0, h.err
		}
	}
	if h.n > 0 && len(p) > h.n {
		p = p[:h.n]
	}
	k, err := h.r.Read(p)
	h.n -= k
	return k, err
}

// TestStoreStreamLeavesNoTemporary checks that a StoreStream that fails
// (its source breaks, its size lies) or is cancelled leaves no temporary
// file on the server, and the old value in place.
func TestStoreStreamLeavesNoTemporary(t *testing.T) {
	for _, sync := range []bool{false, true} {
		d := newDriver(t, sftp.WithSync(sync))
		kvtest.OpenStore(t, d)
		ctx := t.Context()
		value := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
		if err := d.Store(ctx, "data/x", []byte("old")); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("source broke")
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		for _, tc := range []struct {
			name string
			ctx  context.Context
			src  io.Reader
			size int64
			want error
		}{
			{"source fails", ctx, &hook{r: bytes.NewReader(value), n: 1 << 20, at: func() {}, err: boom}, -1, boom},
			{"size too small", ctx, bytes.NewReader(value), int64(len(value)) - 1, kv.ErrSizeMismatch},
			{"size too large", ctx, bytes.NewReader(value), int64(len(value)) + 1, kv.ErrSizeMismatch},
			{"cancelled", c, &hook{r: bytes.NewReader(value), n: 1 << 20, at: cancel}, int64(len(value)), context.Canceled},
		} {
			err := d.StoreStream(tc.ctx, "data/x", tc.src, tc.size)
			if !errors.Is(err, tc.want) {
				t.Errorf("sync=%v, %s: %v, want %v", sync, tc.name, err, tc.want)
			}
			sftp.WaitRemovals(d)
			if tmps := temporaries(t, d); len(tmps) > 0 {
				t.Errorf("sync=%v, %s: temporaries left: %v", sync, tc.name, tmps)
			}
			if v, err := d.Load(ctx, "data/x"); err != nil || string(v) != "old" {
				t.Errorf("sync=%v, %s: the old value is %q, %v", sync, tc.name, v, err)
			}
		}
	}
}

// TestStreamCancelHungLink checks that cancelling a StoreStream or a
// LoadStream whose link hangs in the middle ends it with
// context.Canceled, that the driver works again once the link flows, and
// that the temporary of the cancelled store is removed then.
func TestStreamCancelHungLink(t *testing.T) {
	d, p := viaProxy(t)
	kvtest.OpenStore(t, d)
	ctx := t.Context()
	value := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	if err := d.Store(ctx, "data/x", value); err != nil {
		t.Fatal(err)
	}

	t.Run("StoreStream", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		src := &hook{r: bytes.NewReader(value), n: 1 << 20, at: func() { p.Pause(true) }}
		done := make(chan error, 1)
		go func() { done <- d.StoreStream(c, "data/x", src, int64(len(value))) }()
		p.WaitHeld(t)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("store stream over a hung link, cancelled: %v, want context.Canceled", err)
		}
		p.Pause(false)
		sftp.WaitRemovals(d)
		if tmps := temporaries(t, d); len(tmps) > 0 {
			t.Errorf("temporaries left: %v", tmps)
		}
		if v, err := d.Load(ctx, "data/x"); err != nil || !bytes.Equal(v, value) {
			t.Errorf("after the cancelled store: %d bytes, %v; want the old value", len(v), err)
		}
	})

	t.Run("LoadStream", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		r, err := d.LoadStream(c, "data/x")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		p.Pause(true)
		done := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, r)
			done <- err
		}()
		p.WaitHeld(t)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("load stream over a hung link, cancelled: %v, want context.Canceled", err)
		}
		p.Pause(false)
		if v, err := d.Load(ctx, "data/x"); err != nil || !bytes.Equal(v, value) {
			t.Errorf("load after the cancelled stream: %d bytes, %v", len(v), err)
		}
	})
}

// TestStreamWindow checks that streams work with the smallest window, and
// that a range of a stream ends where the range does.
func TestStreamWindow(t *testing.T) {
	d := newDriver(t, sftp.WithInFlight(1))
	kvtest.OpenStore(t, d)
	ctx := t.Context()
	value := bytes.Repeat([]byte("0123456789abcdef"), 50000)
	if err := d.StoreStream(ctx, "data/x", bytes.NewReader(value), -1); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, -1}, {100, 70000}, {-5000, -1}} {
		rc, err := d.LoadStream(ctx, "data/x", kv.Range(r[0], r[1]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		want, _ := d.Load(ctx, "data/x", kv.Range(r[0], r[1]))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("range %v: %d bytes, %v; want %d", r, len(got), err, len(want))
		}
	}
}
