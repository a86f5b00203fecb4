package s3_test

import (
	"bytes"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// counter is an http.RoundTripper that counts the requests it sends and
// remembers the headers of the last one.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    int
	reqs []string // "METHOD [range]" of each request
	bad  []string // checksum headers B2 refuses, as sent
}

func newCounter() *counter {
	return &counter{next: http.DefaultTransport.(*http.Transport).Clone()}
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.reqs = append(c.reqs, strings.TrimSpace(r.Method+" "+r.Header.Get("Range")))
	for h := range r.Header {
		if h := strings.ToLower(h); strings.HasPrefix(h, "x-amz-checksum-") || h == "x-amz-sdk-checksum-algorithm" {
			c.bad = append(c.bad, h)
		}
	}
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// take returns the requests since the last take.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.n, c.reqs = 0, nil
	return r
}

// TestRequests checks the requests each call makes.
func TestRequests(t *testing.T) {
	cnt := newCounter()
	d := kvtest.OpenStore(t, newDriver(t, s3.WithTransport(cnt)))
	ctx := t.Context()
	value := []byte("0123456789")
	if err := d.Store(ctx, "ns/item", value); err != nil {
		t.Fatal(err)
	}
	if err := d.Mkdir(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	cnt.take()
	for _, tc := range []struct {
		call string
		f    func() error
		want string
	}{
		{"store", func() error { return d.Store(ctx, "ns/item", value) }, "PUT"},
		{"load", func() error { _, err := d.Load(ctx, "ns/item"); return err }, "GET"},
		{"load range", func() error { _, err := d.Load(ctx, "ns/item", kv.Range(2, 3)); return err }, "GET bytes=2-4"},
		{"load from", func() error { _, err := d.Load(ctx, "ns/item", kv.Range(4, -1)); return err }, "GET bytes=4-"},
		{"load suffix", func() error { _, err := d.Load(ctx, "ns/item", kv.Range(-4, 2)); return err }, "GET bytes=-4"},
		{"load far from the end", func() error { _, err := d.Load(ctx, "ns/item", kv.Range(-3<<20, 2)); return err }, "HEAD,GET bytes=0-1"},
		{"info", func() error { _, err := d.Info(ctx, "ns/item"); return err }, "HEAD"},
		{"info of a directory", func() error { _, err := d.Info(ctx, "dir"); return err }, "HEAD,GET"},
		{"list", func() error {
			for _, err := range d.List(ctx, "ns") {
				if err != nil {
					return err
				}
			}
			return nil
		}, "GET"},
		{"list recursive", func() error { return kvtest.Drain(d.List(ctx, "ns", kv.Recursive())) }, "GET"},
		{"hash", func() error { _, err := d.Hash(ctx, "ns/item", ""); return err }, "HEAD"},
		{"move", func() error { return d.Move(ctx, "ns/item", "ns/item.del") }, "PUT,DELETE"},
		{"delete", func() error { return d.Delete(ctx, "ns/item.del") }, "HEAD,DELETE"},
		{"mkdir", func() error { return d.Mkdir(ctx, "ns/sub") }, "PUT"},
	} {
		if err := tc.f(); err != nil {
			t.Errorf("%s: %v", tc.call, err)
		}
		if got := strings.Join(cnt.take(), ","); got != tc.want {
			t.Errorf("%s sent %s, want %s", tc.call, got, tc.want)
		}
	}
}

// TestB2NoChecksumHeaders checks that a b2: driver sends none of the
// checksum headers B2 refuses, in single and multipart uploads.
func TestB2NoChecksumHeaders(t *testing.T) {
	s := s3test.Shared(t)
	cnt := newCounter()
	raw := "b2:" + strings.TrimPrefix(s.URL(s.NewBucket(t), "store"), "s3:")
	d := kvtest.OpenStore(t, driverAt(t, raw, s3.WithTransport(cnt), s3.WithPartSize(s3.MinPartSize, 2)))
	if p := d.Properties(); p.Scheme != "b2" || !p.Remote || p.Precreate || p.Address != s.Host || p.Port != s.Port {
		t.Errorf("properties %+v", p)
	}
	for _, size := range []int{10, s3.MinPartSize + 1} {
		if err := d.Store(t.Context(), "ns/item", bytes.Repeat([]byte("x"), size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Move(t.Context(), "ns/item", "ns/moved"); err != nil {
		t.Fatal(err)
	}
	if len(cnt.bad) > 0 {
		t.Errorf("a b2 driver sent %q", cnt.bad)
	}
}

// TestExtremeRanges loads with ranges at the limits of int64 and far
// before the start, each clamped as docs/semantics.md says.
func TestExtremeRanges(t *testing.T) {
	d := kvtest.OpenStore(t, newDriver(t))
	ctx := t.Context()
	if err := d.Store(ctx, "r/digits", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		offset, size int64
		want         string
	}{
		{5, math.MaxInt64, "56789"},
		{0, math.MaxInt64, "0123456789"},
		{math.MaxInt64, 1, ""},
		{math.MinInt64, 2, "01"},
		{math.MinInt64, -1, "0123456789"},
		{-3 << 20, 2, "01"},
		{-3 << 20, -1, "0123456789"},
		{-12, 3, "012"},
	} {
		got, err := d.Load(ctx, "r/digits", kv.Range(tc.offset, tc.size))
		if err != nil || string(got) != tc.want {
			t.Errorf("load range(%d, %d): %q, %v; want %q", tc.offset, tc.size, got, err, tc.want)
		}
	}
}
