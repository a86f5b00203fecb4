package restserver_test

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/restserver"
)

// fixture is a Handler over a created posixfs store in dir/store, with a
// file beside the store that no request may touch, served on a free port.
type fixture struct {
	dir   string // holds the store and outside.txt
	store string
	addr  string
	done  chan string // the RequestURI of each request the server finished
}

func newFixture(t *testing.T, opts ...restserver.Option) *fixture {
	t.Helper()
	return newFixtureFor(t, func(drv kv.Backend) *restserver.Handler { return restserver.New(drv, opts...) })
}

// newFixtureFor is newFixture with the Handler that newHandler makes over
// the created driver.
func newFixtureFor(t *testing.T, newHandler func(drv kv.Backend) *restserver.Handler) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), done: make(chan string, 100)}
	f.store = filepath.Join(f.dir, "store")
	if err := os.WriteFile(filepath.Join(f.dir, "outside.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	drv, err := posixfs.New(f.store)
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := newHandler(drv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		select {
		case f.done <- r.RequestURI:
		default:
		}
	})
	go func() { served <- restserver.Serve(ctx, ln, counted, "", "") }()
	t.Cleanup(func() {
		cancel()
		<-served
		h.Close(context.Background())
		f.checkOutside(t)
	})
	return f
}

// checkOutside fails the test if anything beside the store changed.
func (f *fixture) checkOutside(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"outside.txt", "store"}) {
		t.Errorf("beside the store: %v, want [outside.txt store]", names)
	}
	if b, err := os.ReadFile(filepath.Join(f.dir, "outside.txt")); err != nil || string(b) != "keep" {
		t.Errorf("outside.txt: %q, %v", b, err)
	}
}

// files lists every file in the store, temporary ones included.
func (f *fixture) files(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(f.store, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !backendkit.IsStoreRecord(d.Name()) {
			rel, _ := filepath.Rel(f.store, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// dial opens a raw connection to the server.
// finishedStoringNothing waits for the server to finish the request to
// uri and checks that the store holds no file.
func (f *fixture) finishedStoringNothing(t *testing.T, uri string) {
	t.Helper()
	select {
	case got := <-f.done:
		if got != uri {
			t.Fatalf("finished %q, want %q", got, uri)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not finish the request %s", uri)
	}
	if got := f.files(t); len(got) != 0 {
		t.Errorf("files in the store: %v", got)
	}
}

func (f *fixture) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// raw sends the request text (a head without the Host line, then a body)
// on a new connection and returns the response.
func (f *fixture) raw(t *testing.T, head string, body string) (*http.Response, string) {
	t.Helper()
	c := f.dial(t)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	head = strings.Replace(head, "\n", "\r\nHost: test\r\n", 1)
	head = strings.ReplaceAll(strings.ReplaceAll(head, "\r\n", "\n"), "\n", "\r\n")
	if _, err := io.WriteString(c, head+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	return readResponse(t, c)
}

// readResponse reads one response from c.
func readResponse(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(b)
}

// accept is the Accept line of every good request.
const accept = "Accept: " + restproto.MediaType + "\n"

// newPosix returns a posixfs driver (not created) for dir.
func newPosix(t testing.TB, dir string) *posixfs.Driver {
	t.Helper()
	drv, err := posixfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return drv
}

// newReader buffers r for http.ReadResponse.
func newReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
