package rest_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestLoadStreamLies answers a LoadStream with fewer bytes than its
// Content-Length (a read error, kv.ErrConnection, never a clean end), with
// more than the range asked (kv.ErrProtocol, announced or not), or with a
// status that is not the one asked for (kv.ErrProtocol).
func TestLoadStreamLies(t *testing.T) {
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/short":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n%s", strings.Repeat("a", 50000))
			buf.Flush()
		case "/long":
			w.WriteHeader(http.StatusPartialContent)
			w.(http.Flusher).Flush() // no Content-Length: chunked
			w.Write(make([]byte, 100))
		case "/announced":
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(make([]byte, 100))
		case "/whole":
			w.Write([]byte("0123456789"))
		}
	})
	d := openClient(t, srv.URL+"/")
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		opts    []kv.Option
		open    error // the error of LoadStream itself
		read    error // the error of reading
		partial bool
	}{
		{"short", nil, nil, kv.ErrConnection, true},
		{"long", []kv.Option{kv.Range(0, 10)}, nil, kv.ErrProtocol, false},
		{"announced", []kv.Option{kv.Range(0, 10)}, kv.ErrProtocol, nil, false},
		{"whole", []kv.Option{kv.Range(2, 3)}, kv.ErrProtocol, nil, false},
	} {
		rc, err := d.LoadStream(ctx, c.name, c.opts...)
		if c.open != nil {
			if !errors.Is(err, c.open) {
				t.Errorf("%s: LoadStream %v, want %v", c.name, err, c.open)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: LoadStream: %v", c.name, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if !errors.Is(err, c.read) {
			t.Errorf("%s: read %d bytes, %v; want %v", c.name, len(got), err, c.read)
		}
	}
}

// TestLoadStreamStall stops a server in the middle of a streamed answer:
// the read fails with kv.ErrConnection once the stall timeout passes; a
// caller that waits between reads longer than that does not fail, the
// wait is its own.
func TestLoadStreamStall(t *testing.T) {
	const stall = 300 * time.Millisecond
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "20")
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		if r.URL.Path == "/stuck" {
			stuck(t, r)
			return
		}
		w.Write([]byte("abcdefghij"))
	})
	d := openClient(t, srv.URL+"/", rest.WithStallTimeout(stall), rest.WithResponseTimeout(stall))
	rc, err := d.LoadStream(context.Background(), "stuck")
	if err != nil {
		t.Fatal(err)
	}
	err = guard(t, "stuck", func() error { _, err := io.ReadAll(rc); return err })
	rc.Close()
	if !errors.Is(err, kv.ErrConnection) {
		t.Errorf("a stalled answer: %v, want kv.ErrConnection", err)
	}

	rc, err = d.LoadStream(context.Background(), "slow-reader")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	p := make([]byte, 5)
	if _, err := io.ReadFull(rc, p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * stall) // the caller's pause (setup, not an assert)
	rest, err := io.ReadAll(rc)
	if err != nil || string(p)+string(rest) != "0123456789abcdefghij" {
		t.Errorf("after the caller's pause: %q, %v", string(p)+string(rest), err)
	}
}

// TestStoreStreamUnknownSizeToBorgstore stores a value of unknown size,
// larger than the read-ahead, to a server that reads bodies by their
// Content-Length only and checks the hash header, as borgstore's does: it
// sees an empty body and a hash it cannot match, refuses with 422, and
// nothing is stored; the error says why. A value of unknown size within
// the read-ahead goes with its length and hash, and is stored.
func TestStoreStreamUnknownSizeToBorgstore(t *testing.T) {
	var stored atomic.Int32
	empty := sha256.Sum256(nil)
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := r.ContentLength
		if n < 0 {
			n = 0 // borgstore: int(self.headers.get("Content-Length", 0))
		}
		body := make([]byte, n)
		io.ReadFull(r.Body, body)
		sum := sha256.Sum256(body)
		if want := r.Header.Get(restproto.HeaderContentHash); want != "" && want != hex.EncodeToString(sum[:]) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, restproto.HashMismatch)
			return
		}
		if hex.EncodeToString(sum[:]) == hex.EncodeToString(empty[:]) {
			t.Errorf("the server stored an empty value")
		}
		stored.Add(1)
	})
	d := openClient(t, srv.URL+"/", rest.WithReadAhead(64<<10))
	ctx := context.Background()
	err := d.StoreStream(ctx, "x/big", strings.NewReader(strings.Repeat("v", 100<<10)), -1)
	if !errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "chunked") {
		t.Errorf("a chunked store to a server that takes none: %v, want kv.ErrConnection saying why", err)
	}
	if err := d.StoreStream(ctx, "x/small", strings.NewReader(strings.Repeat("v", 60<<10)), -1); err != nil {
		t.Errorf("a small store of unknown size: %v", err)
	}
	if n := stored.Load(); n != 1 {
		t.Errorf("%d values stored, want the small one", n)
	}
}

// zeros is an endless source of zeros.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestStreamMemory stores and loads 64 MiB through a stream, over HTTP and
// stdio, to `kvcompose serve` as a process: the client allocates a
// bounded amount (a quarter of the value at most, under the race
// detector too), not the value's size.
func TestStreamMemory(t *testing.T) {
	const size = 64 << 20
	clients := map[string]func(t *testing.T) kv.Backend{
		"http":  func(t *testing.T) kv.Backend { return serveProcess(t, filepath.Join(t.TempDir(), "store")) },
		"stdio": func(t *testing.T) kv.Backend { return stdioClient(t) },
	}
	for name, client := range clients {
		t.Run(name, func(t *testing.T) {
			d := kvtest.OpenStore(t, client(t))
			ctx := context.Background()
			for _, n := range []int64{size, -1} {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				if err := d.StoreStream(ctx, "data/big", io.LimitReader(zeros{}, size), n); err != nil {
					t.Fatalf("store stream (size %d): %v", n, err)
				}
				runtime.ReadMemStats(&after)
				if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
					t.Errorf("store stream of %d bytes (size %d) allocated %d bytes", size, n, grew)
				}
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rc, err := d.LoadStream(ctx, "data/big")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.Copy(io.Discard, bufio.NewReaderSize(rc, 32<<10))
			rc.Close()
			runtime.ReadMemStats(&after)
			if err != nil || got != size {
				t.Fatalf("load stream: %d bytes, %v", got, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("load stream of %d bytes allocated %d bytes", size, grew)
			}
		})
	}
}

// TestStdioStreamHeld keeps a LoadStream open over stdio while other calls
// run and a StoreStream's source waits on the same driver: they do not
// wait for it.
func TestStdioStreamHeld(t *testing.T) {
	d := kvtest.OpenStore(t, stdioClient(t))
	ctx := context.Background()
	big := strings.Repeat("b", 3<<20)
	if err := d.StoreStream(ctx, "a/big", strings.NewReader(big), int64(len(big))); err != nil {
		t.Fatal(err)
	}
	rc, err := d.LoadStream(ctx, "a/big")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 10)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	w := kv.NewWriter(ctx, d, "a/written", -1)
	io.WriteString(w, strings.Repeat("w", 2<<20))
	err = guard(t, "calls beside held streams", func() error {
		if err := d.Store(ctx, "a/small", []byte("s")); err != nil {
			return err
		}
		_, err := d.Load(ctx, "a/small")
		return err
	})
	if err != nil {
		t.Fatalf("a call beside held streams: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	rest, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(head)+string(rest) != big {
		t.Errorf("the held stream: %d bytes, %v", len(head)+len(rest), err)
	}
}
