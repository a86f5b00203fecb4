package s3_test

import (
	"errors"
	"testing"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
)

// TestOneTry checks that the driver sends a request once by default: a
// refused connection is one request and an error, which the retry layer
// above may retry (one owner of retries).
func TestOneTry(t *testing.T) {
	s := s3test.Shared(t)
	p := sshdtest.NewProxy(t, s.Addr())
	addr := p.Addr()
	p.Close() // nobody listens there now
	cnt := newCounter()
	d := driverAt(t, s.URLVia(addr, s.NewBucket(t), "store"), s3.WithTransport(cnt), s3.WithRegion("us-east-1"))
	err := d.Open(t.Context())
	if err == nil || errors.Is(err, kv.ErrNoStore) {
		t.Fatalf("open of an unreachable server: %v, want an error on the link", err)
	}
	if got := cnt.take(); len(got) != 1 {
		t.Errorf("sent %v, want one request", got)
	}
}
