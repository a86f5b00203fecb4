package rest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/restserver"
)

// TestRequestsPerCall counts the HTTP requests each call sends to the
// server, as docs/semantics.md lists them.
func TestRequestsPerCall(t *testing.T) {
	drv, err := posixfs.New(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	h := restserver.New(drv)
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method)
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- restserver.Serve(ctx, ln, count, "", "") }()
	defer func() {
		cancel()
		<-done
	}()
	d, err := rest.FromURL("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if err := d.Create(bg); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(bg); err != nil {
		t.Fatal(err)
	}
	defer d.Close(bg)
	value := bytes.Repeat([]byte("v"), 4096)
	large := bytes.Repeat([]byte("l"), 2*rest.DefaultReadAhead+5)
	cases := []struct {
		name string
		f    func() error
		want []string
	}{
		{"Store", func() error { return d.Store(bg, "data/a", value) }, []string{"POST"}},
		{"Load", func() error { _, err := d.Load(bg, "data/a"); return err }, []string{"GET"}},
		{"Load of a range", func() error { _, err := d.Load(bg, "data/a", kv.Range(10, 100)); return err }, []string{"GET"}},
		{"Info", func() error { _, err := d.Info(bg, "data/a"); return err }, []string{"HEAD"}},
		{"Hash", func() error { _, err := d.Hash(bg, "data/a", "sha256"); return err }, []string{"POST"}},
		{"Move", func() error { return d.Move(bg, "data/a", "data/b") }, []string{"POST"}},
		{"List", func() error {
			for _, err := range d.List(bg, "data") {
				if err != nil {
					return err
				}
			}
			return nil
		}, []string{"GET"}},
		{"StoreStream of a small value", func() error {
			return d.StoreStream(bg, "data/s", bytes.NewReader(value), -1)
		}, []string{"POST"}},
		{"StoreStream of a large value", func() error {
			return d.StoreStream(bg, "data/s", bytes.NewReader(large), int64(len(large)))
		}, []string{"POST"}},
		{"StoreStream of a large value of unknown size", func() error {
			return d.StoreStream(bg, "data/s", bytes.NewReader(large), -1)
		}, []string{"POST"}},
		{"LoadStream", func() error {
			rc, err := d.LoadStream(bg, "data/s", kv.Range(5, -1))
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		}, []string{"GET"}},
		{"Delete", func() error { return d.Delete(bg, "data/b") }, []string{"DELETE"}},
		{"Delete of a missing item", func() error {
			if err := d.Delete(bg, "data/b"); !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			return nil
		}, []string{"DELETE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			if err := c.f(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			got := seen
			mu.Unlock()
			if !slices.Equal(got, c.want) {
				t.Errorf("sent %v, want %v", got, c.want)
			}
		})
	}
}
