package rest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/internal/tcpproxy"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/retry"
)

// hostileServer serves h, after answering HEAD / (what Open sends) with
// 200, until the test ends.
func hostileServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && r.URL.Path == "/" {
			w.Header().Set("Content-Length", "0")
			w.Header().Set("X-BorgStore-Is-Directory", "true")
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// stuck blocks a handler until its client goes or the test ends.
func stuck(t *testing.T, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-t.Context().Done():
	}
}

// openClient returns the driver of url with opts, opened.
func openClient(t *testing.T, url string, opts ...rest.Option) *rest.Driver {
	t.Helper()
	d, err := rest.FromURL(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

// guard runs f and fails the test if it does not return within a minute:
// it turns a hang into a failure, it asserts no timing.
func guard(t *testing.T, what string, f func() error) error {
	t.Helper()
	res := make(chan error, 1)
	go func() { res <- f() }()
	select {
	case err := <-res:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("%s: still waiting after a minute", what)
		return nil
	}
}

// TestRedirectIsNotFollowed answers stores and loads with every redirect
// status, to a second server: the call fails with kv.ErrProtocol naming
// the status and the Location, and the second server sees nothing (no
// value, no credentials).
func TestRedirectIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	t.Cleanup(other.Close)
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/x/y", status)
			})
			d := openClient(t, "http://u:p@"+strings.TrimPrefix(srv.URL, "http://")+"/")
			ctx := context.Background()
			calls := map[string]func() error{
				"store": func() error { return d.Store(ctx, "x/y", []byte("secret value")) },
				"load":  func() error { _, err := d.Load(ctx, "x/y"); return err },
			}
			for what, call := range calls {
				err := call()
				if err == nil || !errors.Is(err, kv.ErrProtocol) {
					t.Errorf("%s answered %d: %v, want kv.ErrProtocol", what, status, err)
					continue
				}
				if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(status)) || !strings.Contains(msg, other.URL+"/x/y") {
					t.Errorf("%s: %q names neither the status nor the Location", what, msg)
				}
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the server redirected to got %d requests, want none", n)
	}
}

// TestStall has servers stop in the middle of an exchange; a call with no
// deadline on its context fails with kv.ErrConnection once the configured
// stall (or response) timeout passes without progress.
func TestStall(t *testing.T) {
	const short = 500 * time.Millisecond // long enough for a loaded machine to answer Open
	cases := []struct {
		name string
		h    func(*testing.T, http.ResponseWriter, *http.Request)
		call func(*rest.Driver) error
	}{{
		name: "headers then nothing",
		h: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("abc"))
			w.(http.Flusher).Flush()
			stuck(t, r)
		},
		call: func(d *rest.Driver) error { _, err := d.Load(context.Background(), "x/y"); return err },
	}, {
		name: "no headers",
		h:    func(t *testing.T, w http.ResponseWriter, r *http.Request) { stuck(t, r) },
		call: func(d *rest.Driver) error { _, err := d.Load(context.Background(), "x/y"); return err },
	}, {
		name: "a listing that stops",
		h: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte(`[{"name": "a", `))
			w.(http.Flusher).Flush()
			stuck(t, r)
		},
		call: func(d *rest.Driver) error {
			for _, err := range d.List(context.Background(), "x") {
				return err
			}
			return nil
		},
	}, {
		name: "a store never read",
		h:    func(t *testing.T, w http.ResponseWriter, r *http.Request) { stuck(t, r) },
		call: func(d *rest.Driver) error {
			return d.Store(context.Background(), "x/y", make([]byte, 64<<20))
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) { c.h(t, w, r) })
			d := openClient(t, srv.URL+"/", rest.WithStallTimeout(short), rest.WithResponseTimeout(short))
			err := guard(t, c.name, func() error { return c.call(d) })
			if !errors.Is(err, kv.ErrConnection) || errors.Is(err, context.Canceled) {
				t.Errorf("%v, want kv.ErrConnection", err)
			}
		})
	}
}

// TestStallStdio is TestStall over stdio: the server process answers the
// headers of a load and then nothing, or nothing at all.
func TestStallStdio(t *testing.T) {
	for _, mode := range []string{"stall-body", "stall-head"} {
		t.Run(mode, func(t *testing.T) {
			d := hostileStdio(t, mode, rest.WithStallTimeout(100*time.Millisecond),
				rest.WithResponseTimeout(100*time.Millisecond))
			err := guard(t, mode, func() error { _, err := d.Load(context.Background(), "x/y"); return err })
			if !errors.Is(err, kv.ErrConnection) {
				t.Errorf("%v, want kv.ErrConnection", err)
			}
		})
	}
}

// TestHugeContentLength has servers claim 2 GB and send 3 bytes: the load
// fails with kv.ErrConnection, and the client allocates no more than its
// read-ahead (plus what a call costs), not the claim.
func TestHugeContentLength(t *testing.T) {
	const claim = 2_000_000_000
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\nabc", claim)
		buf.Flush()
	})
	clients := map[string]*rest.Driver{
		"http":  openClient(t, srv.URL+"/"),
		"stdio": hostileStdio(t, "huge"),
	}
	for name, d := range clients {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := d.Load(context.Background(), "x/y")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, kv.ErrConnection) {
				t.Errorf("load: %v, want kv.ErrConnection", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Errorf("the load allocated %d bytes for 3 that arrived", grew)
			}
		})
	}
}

// TestAnswerNotWhatWasAsked answers loads with more than the range asked,
// with 200 to a range, or with 206 to a whole load: kv.ErrProtocol.
func TestAnswerNotWhatWasAsked(t *testing.T) {
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/long":
			w.WriteHeader(http.StatusPartialContent)
			w.Write(make([]byte, 100))
		case "/whole":
			w.Write([]byte("0123456789"))
		case "/partial":
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte("0123"))
		}
	})
	d := openClient(t, srv.URL+"/")
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opts []kv.Option
	}{
		{"long", []kv.Option{kv.Range(0, 10)}},
		{"long", []kv.Option{kv.Range(-10, -1)}},
		{"long", []kv.Option{kv.Range(-10, 4)}},
		{"whole", []kv.Option{kv.Range(2, 3)}},
		{"partial", nil},
	} {
		if got, err := d.Load(ctx, c.name, c.opts...); !errors.Is(err, kv.ErrProtocol) {
			t.Errorf("load %s %v: %q, %v; want kv.ErrProtocol", c.name, c.opts, got, err)
		}
	}
}

// TestUnparsableAnswers answers with what is not a listing, a quota, a
// hash, an item's info or a name: kv.ErrProtocol, never a value made up.
func TestUnparsableAnswers(t *testing.T) {
	answers := map[string]string{}
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("X-BorgStore-Is-Directory", "perhaps")
			return
		}
		w.Write([]byte(answers[r.URL.Path+"?"+r.URL.Query().Get("cmd")]))
	})
	d := openClient(t, srv.URL+"/")
	ctx := context.Background()
	list := func(dir string) error {
		for _, err := range d.List(ctx, dir) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	cases := []struct {
		path, answer string
		call         func() error
	}{
		{"/html/?", "<html>oops</html>", func() error { return list("html") }},
		{"/object/?", `{"name": "a"}`, func() error { return list("object") }},
		{"/negative/?", `[{"name": "a", "size": -1}]`, func() error { return list("negative") }},
		{"/twice/?", `[{"name": "a"}, {"name": "a"}]`, func() error { return list("twice") }},
		{"/text/?", `[{"name": "a", "size": "12"}]`, func() error { return list("text") }},
		{"/?quota", "<html>quota</html>", func() error { _, err := d.Quota(ctx); return err }},
		{"/?quota", `{"limit": 1}`, func() error { _, err := d.Quota(ctx); return err }},
		{"/x/y?hash", "<html>not a digest</html>", func() error { _, err := d.Hash(ctx, "x/y", "sha256"); return err }},
		{"/x/y?hash", "", func() error { _, err := d.Hash(ctx, "x/y", "sha256"); return err }},
		{"/?defrag", "../../etc/passwd", func() error {
			_, err := d.Defrag(ctx, []kv.Block{{Name: "x/y", Offset: 0, Size: 1}}, kv.Target("x/z"))
			return err
		}},
		{"", "", func() error { _, err := d.Info(ctx, "x/y"); return err }},
	}
	for _, c := range cases {
		answers[c.path] = c.answer
		if err := c.call(); !errors.Is(err, kv.ErrProtocol) {
			t.Errorf("%s answered %q: %v, want kv.ErrProtocol", c.path, c.answer, err)
		}
	}
}

// closingServer accepts connections and closes them at once, counting
// them; it returns its URL.
func closingServer(t *testing.T, accepted *atomic.Int32) string {
	ln, err := tcpproxy.Serve(func(c net.Conn) { accepted.Add(1); c.Close() })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// TestNoDriverRetry has a server close every connection at once: the
// driver makes one attempt and reports kv.ErrConnection; retrying is the
// retry layer's.
func TestNoDriverRetry(t *testing.T) {
	var accepted atomic.Int32
	d, err := rest.FromURL(closingServer(t, &accepted))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(context.Background()); !errors.Is(err, kv.ErrConnection) {
		t.Errorf("open: %v, want kv.ErrConnection", err)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections for one call, want 1", n)
	}
}

// TestOneOwnerOfRetries opens the same server through compose.Open with
// its defaults: the retry layer's tries are all the tries there are.
func TestOneOwnerOfRetries(t *testing.T) {
	var accepted atomic.Int32
	store, err := compose.Open(closingServer(t, &accepted))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Open(context.Background()); !errors.Is(err, kv.ErrConnection) {
		t.Errorf("open: %v, want kv.ErrConnection", err)
	}
	if n := accepted.Load(); n != retry.DefaultMaxTries {
		t.Errorf("%d connections for one call, want the retry layer's %d tries", n, retry.DefaultMaxTries)
	}
}

// TestEndlessAnswers streams answers that never end: an error answer is
// read up to a bound and reported with its status; a success that should
// be short is kv.ErrProtocol.
func TestEndlessAnswers(t *testing.T) {
	srv := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cmd") != "hash" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		chunk := []byte(strings.Repeat("0", 4096))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	d := openClient(t, srv.URL+"/")
	ctx := context.Background()
	err := guard(t, "store", func() error { return d.Store(ctx, "x/y", []byte("v")) })
	if err == nil || !strings.Contains(err.Error(), "500") || errors.Is(err, kv.ErrConnection) {
		t.Errorf("store answered 500 and an endless body: %v", err)
	}
	err = guard(t, "hash", func() error { _, err := d.Hash(ctx, "x/y", "sha256"); return err })
	if !errors.Is(err, kv.ErrProtocol) {
		t.Errorf("hash answered an endless digest: %v, want kv.ErrProtocol", err)
	}
}

// hostileEnv names the misbehaviour of the test binary run as a stdio
// server (see runHostileStdio).
const hostileEnv = "KVCOMPOSE_REST_TEST_HOSTILE"

// hostileStdio returns an open driver whose stdio server is this test
// binary misbehaving as mode says.
func hostileStdio(t *testing.T, mode string, opts ...rest.Option) *rest.Driver {
	t.Helper()
	t.Setenv(hostileEnv, mode)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]rest.Option{rest.WithServerCommand("'" + exe + "'")}, opts...)
	return openClient(t, "rest:///"+filepath.Join(t.TempDir(), "store"), opts...)
}

// runHostileStdio is the test binary as a stdio server: HEAD is 200, a
// load gets what mode says: the headers and 3 bytes of 10 and then
// nothing ("stall-body"), nothing ("stall-head"), 3 bytes of a claimed
// 2 GB and the end ("huge").
func runHostileStdio(mode string) {
	in := bufio.NewReader(os.Stdin)
	for {
		req, err := http.ReadRequest(in)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		if req.Method == http.MethodHead {
			io.WriteString(os.Stdout, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-BorgStore-Is-Directory: true\r\n\r\n")
			continue
		}
		switch mode {
		case "stall-body":
			io.WriteString(os.Stdout, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
		case "huge":
			io.WriteString(os.Stdout, "HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\nabc")
			return
		}
		time.Sleep(time.Hour)
	}
}
