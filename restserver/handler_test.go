package restserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/restserver"
)

func basic(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + "\n"
}

// TestBadInput sends requests that must be refused with a clear status,
// and checks that nothing outside the store was touched (see fixture).
func TestBadInput(t *testing.T) {
	f := newFixture(t, restserver.WithCredentials("borg", "pw"))
	auth := basic("borg", "pw")
	if err := os.WriteFile(filepath.Join(f.store, "a"), []byte("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 101)
	cases := []struct {
		name, head, body string
		status           int
		reason           string
	}{
		{"no Accept", "GET /a HTTP/1.1\n" + auth, "", http.StatusNotAcceptable, "Accept"},
		{"wrong Accept", "GET /a HTTP/1.1\nAccept: */*\n" + auth, "", http.StatusNotAcceptable, "Accept"},
		{"no Accept before no credentials", "GET /a HTTP/1.1\n", "", http.StatusNotAcceptable, "Accept"},
		{"no credentials", "GET /a HTTP/1.1\n" + accept, "", http.StatusUnauthorized, "Unauthorized"},
		{"wrong password", "GET /a HTTP/1.1\n" + accept + basic("borg", "px"), "", http.StatusUnauthorized, "Unauthorized"},
		{"wrong user", "GET /a HTTP/1.1\n" + accept + basic("borh", "pw"), "", http.StatusUnauthorized, "Unauthorized"},
		{"password prefix", "GET /a HTTP/1.1\n" + accept + basic("borg", "p"), "", http.StatusUnauthorized, "Unauthorized"},
		{"not basic", "GET /a HTTP/1.1\n" + accept + "Authorization: Bearer x\n", "", http.StatusUnauthorized, "Unauthorized"},
		{"dot dot", "GET /../outside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"dot dot inside", "GET /x/../../outside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"escaped dot dot", "GET /%2e%2e/outside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"escaped slash", "GET /x%2f..%2foutside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"leading slash", "GET //etc/passwd HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"backslash", "GET /..\\outside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"upper case", "GET /A HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"101 characters", "POST /" + long + " HTTP/1.1\n" + accept + auth + "Content-Length: 1\n", "x", http.StatusBadRequest, "longer than 100"},
		{"store over dot dot", "POST /../evil HTTP/1.1\n" + accept + auth + "Content-Length: 1\n", "x", http.StatusBadRequest, "invalid name"},
		{"move out", "POST /?cmd=move&current=a&new=..%2Fevil HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "invalid name"},
		{"move from outside", "POST /?cmd=move&current=..%2Foutside.txt&new=b HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "invalid name"},
		{"move without new", "POST /?cmd=move&current=a HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "Missing current or new"},
		{"delete outside", "DELETE /../outside.txt HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"rmdir outside", "DELETE /..?cmd=rmdir HTTP/1.1\n" + accept + auth, "", http.StatusBadRequest, "invalid name"},
		{"mkdir outside", "POST /../x?cmd=mkdir HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "invalid name"},
		{"temp name", "POST /x.tmp HTTP/1.1\n" + accept + auth + "Content-Length: 1\n", "x", http.StatusBadRequest, "invalid name"},
		{"hash without name", "POST /?cmd=hash HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "Missing name"},
		{"hash unknown", "POST /a?cmd=hash&algorithm=crc32 HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "crc32"},
		{"defrag without target", "POST /?cmd=defrag HTTP/1.1\n" + accept + auth + "Content-Length: 2\n", "[]", http.StatusBadRequest, "Missing target"},
		{"defrag bad json", "POST /?cmd=defrag&target=t HTTP/1.1\n" + accept + auth + "Content-Length: 3\n", "[[1", http.StatusBadRequest, "defrag sources"},
		{"defrag outside", "POST /?cmd=defrag&target=t HTTP/1.1\n" + accept + auth + "Content-Length: 26\n", `[["../outside.txt", 0, 1]]`, http.StatusBadRequest, "invalid name"},
		{"unknown cmd", "POST /a?cmd=chmod HTTP/1.1\n" + accept + auth + "Content-Length: 0\n", "", http.StatusBadRequest, "unknown cmd"},
		{"store without name", "POST / HTTP/1.1\n" + accept + auth + "Content-Length: 1\n", "x", http.StatusBadRequest, "no name"},
		{"method", "PUT /a HTTP/1.1\n" + accept + auth + "Content-Length: 1\n", "x", http.StatusMethodNotAllowed, "Method"},
		{"missing", "GET /nothing/here HTTP/1.1\n" + accept + auth, "", http.StatusNotFound, "not found"},
		{"hash mismatch", "POST /h HTTP/1.1\n" + accept + auth + "Content-Length: 3\n" +
			restproto.HeaderContentHash + ": " + strings.Repeat("0", 64) + "\n", "abc", http.StatusUnprocessableEntity, restproto.HashMismatch},
		{"range past the end", "GET /a HTTP/1.1\n" + accept + auth + "Range: bytes=5-\n", "", http.StatusPartialContent, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.raw(t, c.head, c.body)
			if resp.StatusCode != c.status || !strings.Contains(body, c.reason) {
				t.Errorf("%d %q, want %d with %q", resp.StatusCode, body, c.status, c.reason)
			}
			if resp.Header.Get("Content-Length") == "" {
				t.Errorf("no Content-Length")
			}
			if resp.Header.Get("Cache-Control") != restproto.CacheControl {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if strings.Contains(body, f.dir) {
				t.Errorf("the reason shows a server path: %q", body)
			}
			if c.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Basic realm="BorgStore REST Server"` {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if got := f.files(t); strings.Join(got, ",") != "a" {
		t.Errorf("files in the store: %v, want only a", got)
	}
}

// TestShortBody sends fewer bytes than Content-Length says, then ends
// its side of the connection: 400, nothing stored.
func TestShortBody(t *testing.T) {
	f := newFixture(t)
	c := f.dial(t).(*net.TCPConn)
	fmt.Fprintf(c, "POST /short HTTP/1.1\r\nHost: t\r\n%sContent-Length: 100\r\n\r\n%s",
		strings.ReplaceAll(accept, "\n", "\r\n"), strings.Repeat("x", 50))
	c.CloseWrite()
	resp, body := readResponse(t, c)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "shorter") {
		t.Errorf("%d %q, want 400 saying the body is short", resp.StatusCode, body)
	}
	if got := f.files(t); len(got) != 0 {
		t.Errorf("files in the store: %v", got)
	}
}

// TestDroppedUpload closes the connection in the middle of a body: once the
// server is done with the request, there is no item and no temporary file.
func TestDroppedUpload(t *testing.T) {
	f := newFixture(t)
	c := f.dial(t)
	fmt.Fprintf(c, "POST /dropped HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n",
		strings.ReplaceAll(accept, "\n", "\r\n"), 8<<20)
	c.Write(make([]byte, 1<<20))
	c.Close()
	f.finishedStoringNothing(t, "/dropped")
}

// TestSlowClient keeps a request body stalled while other clients store
// and load: they all finish while it waits; a server with a short stall
// timeout drops the stalled connection.
func TestSlowClient(t *testing.T) {
	f := newFixture(t)
	slow := f.dial(t)
	fmt.Fprintf(slow, "POST /slow HTTP/1.1\r\nHost: t\r\n%sContent-Length: 1000\r\n\r\nxx",
		strings.ReplaceAll(accept, "\n", "\r\n"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("fast/%d", i)
			value := strings.Repeat("v", 4096)
			sum := sha256.Sum256([]byte(value))
			resp, _ := f.raw(t, fmt.Sprintf("POST /%s HTTP/1.1\n%sContent-Length: %d\n%s: %s\n", name, accept,
				len(value), restproto.HeaderContentHash, hex.EncodeToString(sum[:])), value)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("store %s: %d", name, resp.StatusCode)
			}
			resp, body := f.raw(t, "GET /"+name+" HTTP/1.1\n"+accept, "")
			if resp.StatusCode != http.StatusOK || body != value {
				t.Errorf("load %s: %d, %d bytes", name, resp.StatusCode, len(body))
			}
		})
	}
	wg.Wait()
	select {
	case uri := <-f.done:
		if uri == "/slow" {
			t.Fatal("the slow request was answered before it sent its body")
		}
	default:
	}

	g := newFixture(t, restserver.WithStallTimeout(100*time.Millisecond))
	stuck := g.dial(t)
	fmt.Fprintf(stuck, "POST /stuck HTTP/1.1\r\nHost: t\r\n%sContent-Length: 1000\r\n\r\nxx",
		strings.ReplaceAll(accept, "\n", "\r\n"))
	stuck.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.ReadAll(stuck) // the answer, if any, then the end of the connection
	if err != nil {
		t.Errorf("the stuck connection was not closed by the server: %v", err)
	}
	if got := g.files(t); len(got) != 0 {
		t.Errorf("files in the store: %v", got)
	}
}

// TestStdio serves requests on a pair of pipes and reads the answers, as
// borgstore's client does over ssh.
func TestStdio(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	dir := t.TempDir()
	drvDone := make(chan error, 1)
	drv := newPosix(t, filepath.Join(dir, "s"))
	go func() { drvDone <- restserver.ServeStdio(context.Background(), restserver.New(drv), inR, outW) }()
	reqs := "POST /?cmd=create HTTP/1.1\r\nHost: stdio\r\nAccept: " + restproto.MediaType + "\r\nContent-Length: 0\r\n\r\n" +
		"POST /k HTTP/1.1\r\nHost: stdio\r\nAccept: " + restproto.MediaType + "\r\nContent-Length: 5\r\n\r\nhello" +
		"HEAD /k HTTP/1.1\r\nHost: stdio\r\nAccept: " + restproto.MediaType + "\r\n\r\n" +
		"GET /k HTTP/1.1\r\nHost: stdio\r\nAccept: " + restproto.MediaType + "\r\nRange: bytes=1-2\r\n\r\n"
	go func() {
		io.WriteString(inW, reqs)
		inW.Close() // EOF right away: the answers must still come
	}()
	br := newReader(outR)
	for i, want := range []struct {
		status int
		body   string
	}{{200, ""}, {200, ""}, {200, ""}, {206, "el"}} {
		resp, err := http.ReadResponse(br, &http.Request{Method: []string{"POST", "POST", "HEAD", "GET"}[i]})
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want.status || string(b) != want.body {
			t.Errorf("response %d: %d %q, want %d %q", i, resp.StatusCode, b, want.status, want.body)
		}
		if i == 2 && resp.Header.Get("Content-Length") != "5" {
			t.Errorf("HEAD: Content-Length %q", resp.Header.Get("Content-Length"))
		}
	}
	if err := <-drvDone; err != nil {
		t.Errorf("ServeStdio: %v", err)
	}
	outW.Close()
}

// TestMaxBody refuses a body over the limit with 413, nothing stored.
func TestMaxBody(t *testing.T) {
	f := newFixture(t, restserver.WithMaxBody(10))
	for _, c := range []struct {
		head   string
		status int
	}{
		{"POST /big HTTP/1.1\n" + accept + "Content-Length: 11\n", http.StatusRequestEntityTooLarge},
		{"POST /big HTTP/1.1\n" + accept + "Transfer-Encoding: chunked\n", http.StatusRequestEntityTooLarge},
		{"POST /small HTTP/1.1\n" + accept + "Content-Length: 10\n", http.StatusOK},
	} {
		body := strings.Repeat("x", 10)
		if strings.Contains(c.head, "/big") {
			body += "x"
		}
		if strings.Contains(c.head, "chunked") {
			body = "b\r\n" + body + "\r\n0\r\n\r\n"
		}
		resp, msg := f.raw(t, c.head, body)
		if resp.StatusCode != c.status {
			t.Errorf("%q: %d %q, want %d", c.head, resp.StatusCode, msg, c.status)
		}
	}
	if got := f.files(t); strings.Join(got, ",") != "small" {
		t.Errorf("files in the store: %v", got)
	}
}

// TestKeepAliveAfterStall answers a second request on a keep-alive
// connection that was idle for longer than the stall timeout: the write
// deadline of the first answer does not stay on the connection.
func TestKeepAliveAfterStall(t *testing.T) {
	f := newFixture(t, restserver.WithStallTimeout(20*time.Millisecond))
	c := f.dial(t)
	req := "GET /?x HTTP/1.1\r\nHost: t\r\n" + strings.ReplaceAll(accept, "\n", "\r\n") + "\r\n"
	br := newReader(c)
	for i := range 2 {
		if i == 1 {
			time.Sleep(100 * time.Millisecond) // idle past the stall timeout (setup, not an assert)
		}
		io.WriteString(c, strings.Replace(req, "GET /?x", "GET /", 1))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("request %d: %d", i, resp.StatusCode)
		}
	}
}
