package s3_test

import (
	"os"
	"testing"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/s3test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// newDriver returns a closed driver on a store in a new bucket of the
// package's versitygw, made from its URL as a user gives it.
func newDriver(t testing.TB, opts ...s3.Option) *s3.Driver {
	t.Helper()
	s := s3test.Shared(t)
	return driverAt(t, s.URL(s.NewBucket(t), "store"), opts...)
}

// driverAt returns a closed driver for the URL raw.
func driverAt(t testing.TB, raw string, opts ...s3.Option) *s3.Driver {
	t.Helper()
	d, err := s3.FromURL(raw, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
