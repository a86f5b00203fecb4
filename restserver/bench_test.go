package restserver_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/restserver"
)

// BenchmarkHandler measures the server's own cost per request: ServeHTTP
// of a 4 KiB load and store, without a network, over the memory driver and
// over posixfs (compare with posixfs alone in drivers/rest's benchmarks).
func BenchmarkHandler(b *testing.B) {
	value := make([]byte, 4096)
	for _, bk := range []struct {
		name string
		new  func(b *testing.B) kv.Backend
	}{
		{"memory", func(b *testing.B) kv.Backend { return memory.New(b.Name()) }},
		{"posixfs", func(b *testing.B) kv.Backend { return newPosix(b, filepath.Join(b.TempDir(), "s")) }},
	} {
		backend := bk.new(b)
		if err := backend.Create(context.Background()); err != nil {
			b.Fatal(err)
		}
		h := restserver.New(backend)
		b.Cleanup(func() { h.Close(context.Background()) })
		serve := func(method string, body []byte) int {
			req := httptest.NewRequest(method, "/data/0123", bytes.NewReader(body))
			req.Header.Set("Accept", restproto.MediaType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		if serve(http.MethodPost, value) != http.StatusOK {
			b.Fatal("store failed")
		}
		b.Run(bk.name+"/load", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if serve(http.MethodGet, nil) != http.StatusOK {
					b.Fatal("load failed")
				}
			}
		})
		b.Run(bk.name+"/store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if serve(http.MethodPost, value) != http.StatusOK {
					b.Fatal("store failed")
				}
			}
		})
	}
}
