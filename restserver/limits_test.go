package restserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/quota"
	"github.com/kvcompose/compose/restserver"
)

// TestDefragBlocks refuses blocks that do not lie inside their items
// before anything is allocated or written: 416 for a block past the end
// (the claimed 99,999,999,999 bytes once took the process down), for
// sizes that overflow, and for an offset past the end; 413 for blocks
// adding up past the body limit; 404 for a missing source.
func TestDefragBlocks(t *testing.T) {
	f := newFixture(t, restserver.WithMaxBody(1<<20))
	if resp, msg := f.raw(t, "POST /data/a HTTP/1.1\n"+accept+"Content-Length: 10\n", "0123456789"); resp.StatusCode != 200 {
		t.Fatalf("store: %d %s", resp.StatusCode, msg)
	}
	if resp, msg := f.raw(t, "POST /data/big HTTP/1.1\n"+accept+"Content-Length: 4096\n", strings.Repeat("b", 4096)); resp.StatusCode != 200 {
		t.Fatalf("store: %d %s", resp.StatusCode, msg)
	}
	const huge = "4611686018427387904" // 2^62
	for _, c := range []struct {
		query, body string
		status      int
	}{
		{"target=data/b", `[["data/a",0,99999999999]]`, 416},
		{"target=data/b", `[["data/a",0,` + huge + `],["data/a",0,` + huge + `]]`, 416},
		{"target=data/b", `[["data/a",` + huge + `,1]]`, 416},
		{"target=data/b", `[["data/a",11,0]]`, 416},
		{"target=data/b", `[["data/a",5,6]]`, 416},
		{"target=data/b", `[["data/nope",0,1]]`, 404},
		{"algorithm=sha256&namespace=data", `[["data/a",0,11]]`, 416},
		{"algorithm=sha256&namespace=other&levels=1", `[["data/a",0,11]]`, 416},
		{"target=data/b", "[" + strings.TrimSuffix(strings.Repeat(`["data/big",0,4096],`, 300), ",") + "]", 413},
	} {
		resp, msg := f.raw(t, "POST /?cmd=defrag&"+c.query+" HTTP/1.1\n"+accept+"Content-Length: "+strconv.Itoa(len(c.body))+"\n", c.body)
		if resp.StatusCode != c.status {
			t.Errorf("defrag %s %.80s: %d %s, want %d", c.query, c.body, resp.StatusCode, msg, c.status)
		}
	}
	if got := strings.Join(f.files(t), ","); got != "data/a,data/big" {
		t.Errorf("files in the store: %s, want data/a and data/big alone", got)
	}
	// The blocks that are there still make an item.
	body := `[["data/a",2,3],["data/a",0,1]]`
	resp, msg := f.raw(t, "POST /?cmd=defrag&target=data/b HTTP/1.1\n"+accept+"Content-Length: "+strconv.Itoa(len(body))+"\n", body)
	if resp.StatusCode != 200 || msg != "data/b" {
		t.Fatalf("defrag: %d %s", resp.StatusCode, msg)
	}
	if b, _ := os.ReadFile(filepath.Join(f.store, "data", "b")); string(b) != "2340" {
		t.Errorf("data/b holds %q, want 2340", b)
	}
}

// TestMalformedRange ignores a Range header that does not parse: 200 with
// the whole value, never a 206 that is not the range asked for.
func TestMalformedRange(t *testing.T) {
	f := newFixture(t)
	f.raw(t, "POST /k HTTP/1.1\n"+accept+"Content-Length: 10\n", "0123456789")
	for _, rh := range []string{"bytes=abc", "bytes=5-2", "items=0-1", "bytes=0-1,3-4", "bytes=", "bytes=-", "bytes=1-2-3"} {
		resp, body := f.raw(t, "GET /k HTTP/1.1\n"+accept+"Range: "+rh+"\n", "")
		if resp.StatusCode != 200 || body != "0123456789" {
			t.Errorf("Range %q: %d %q, want 200 with the whole value", rh, resp.StatusCode, body)
		}
	}
	resp, body := f.raw(t, "GET /k HTTP/1.1\n"+accept+"Range: bytes=2-4\n", "")
	if resp.StatusCode != 206 || body != "234" {
		t.Errorf("Range bytes=2-4: %d %q", resp.StatusCode, body)
	}
}

// TestUnknownHashAlgorithm says "Unsupported hash algorithm", the text
// borgstore's clients and test suite look for.
func TestUnknownHashAlgorithm(t *testing.T) {
	f := newFixture(t)
	f.raw(t, "POST /k HTTP/1.1\n"+accept+"Content-Length: 1\n", "x")
	resp, body := f.raw(t, "POST /k?cmd=hash&algorithm=crc32 HTTP/1.1\n"+accept+"Content-Length: 0\n", "")
	if resp.StatusCode != 400 || !strings.Contains(body, "Unsupported hash algorithm") {
		t.Errorf("%d %q, want 400 with Unsupported hash algorithm", resp.StatusCode, body)
	}
}

// TestMalformedChunked answers 400 to a chunked body that is not chunked
// encoding, on TCP and on stdio, and stores nothing.
func TestMalformedChunked(t *testing.T) {
	f := newFixture(t)
	resp, body := f.raw(t, "POST /k HTTP/1.1\n"+accept+"Transfer-Encoding: chunked\n", "zz\r\nabc\r\n0\r\n\r\n")
	if resp.StatusCode != 400 {
		t.Errorf("TCP: %d %q, want 400", resp.StatusCode, body)
	}
	dir := filepath.Join(t.TempDir(), "s")
	reqs := "POST /?cmd=create HTTP/1.1\r\nAccept: " + accept[8:len(accept)-1] + "\r\nContent-Length: 0\r\n\r\n" +
		"POST /k HTTP/1.1\r\nAccept: " + accept[8:len(accept)-1] + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
	out := stdio(t, restserver.New(newPosix(t, dir)), reqs)
	br := bufio.NewReader(strings.NewReader(out))
	for i, want := range []int{200, 400} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("stdio response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Errorf("stdio response %d: %d %q, want %d", i, resp.StatusCode, b, want)
		}
	}
	if got := f.files(t); len(got) != 0 {
		t.Errorf("files in the store: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "k")); !os.IsNotExist(err) {
		t.Errorf("stdio stored k: %v", err)
	}
}

// stdio runs ServeStdio over reqs and returns what it wrote.
func stdio(t *testing.T, h *restserver.Handler, reqs string) string {
	t.Helper()
	var out strings.Builder
	if err := restserver.ServeStdio(context.Background(), h, strings.NewReader(reqs), &out); err != nil {
		t.Errorf("ServeStdio: %v", err)
	}
	return out.String()
}

// TestStdioNoHost answers requests as borgstore's stdio client writes
// them, without a Host header (Go's HTTP server refuses them with 400).
func TestStdioNoHost(t *testing.T) {
	a := "Accept: application/vnd.x.borgstore.rest.v1\r\nConnection: keep-alive\r\n"
	reqs := "POST /?cmd=create HTTP/1.1\r\n" + a + "Content-Length: 0\r\n\r\n" +
		"POST /config/k HTTP/1.1\r\n" + a + "Content-Length: 3\r\n\r\nabc" +
		"GET /config/k HTTP/1.1\r\n" + a + "\r\n" +
		"GET /config/ HTTP/1.1\r\n" + a + "\r\n"
	out := stdio(t, restserver.New(newPosix(t, filepath.Join(t.TempDir(), "s"))), reqs)
	br := bufio.NewReader(strings.NewReader(out))
	for i, want := range []struct {
		status int
		body   string
	}{{200, ""}, {200, ""}, {200, "abc"}, {200, ""}} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want.status || (want.body != "" && string(b) != want.body) {
			t.Errorf("response %d: %d %q, want %d %q", i, resp.StatusCode, b, want.status, want.body)
		}
		if resp.Header.Get("Date") == "" || resp.Header.Get("Content-Length") == "" {
			t.Errorf("response %d: no Date or Content-Length: %v", i, resp.Header)
		}
	}
}

// TestMemoryBudget makes a request wait for the memory that another holds,
// then refuses it with 503 and Retry-After; a body larger than the whole
// budget no longer needs its size in memory: it streams through a buffer
// of the budget's size, so it too waits for the memory held, and goes
// through once it is back; memory comes back after each request.
func TestMemoryBudget(t *testing.T) {
	var h *restserver.Handler
	f := newFixtureFor(t, func(drv kv.Backend) *restserver.Handler {
		h = restserver.New(drv, restserver.WithMemoryBudget(100), restserver.WithMemoryWait(50*time.Millisecond))
		return h
	})

	slow := f.dial(t)
	fmt.Fprintf(slow, "POST /slow HTTP/1.1\r\nHost: t\r\n%sContent-Length: 80\r\n\r\nxx", strings.ReplaceAll(accept, "\n", "\r\n"))
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 80 })

	for _, n := range []int{50, 101} {
		resp, body := f.raw(t, "POST /second HTTP/1.1\n"+accept+"Content-Length: "+strconv.Itoa(n)+"\n", strings.Repeat("y", n))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("a %d-byte store while the budget is held: %d %q, Retry-After %q; want 503 with Retry-After",
				n, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}

	io.WriteString(slow, strings.Repeat("x", 78))
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if resp, body := readResponse(t, slow); resp.StatusCode != 200 {
		t.Errorf("slow store: %d %q", resp.StatusCode, body)
	}
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 0 })
	if resp, body := f.raw(t, "POST /big HTTP/1.1\n"+accept+"Content-Length: 1000\n", strings.Repeat("b", 1000)); resp.StatusCode != 200 {
		t.Errorf("a body ten times the budget once the memory is back: %d %q", resp.StatusCode, body)
	}
	if resp, body := f.raw(t, "POST /third HTTP/1.1\n"+accept+"Transfer-Encoding: chunked\n", "32\r\n"+strings.Repeat("z", 50)+"\r\n0\r\n\r\n"); resp.StatusCode != 200 {
		t.Errorf("a chunked store once the memory is back: %d %q", resp.StatusCode, body)
	}
	// The memory comes back as the handler returns, just after the answer.
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 0 })
	if got := strings.Join(f.files(t), ","); got != "big,slow,third" {
		t.Errorf("files: %s, want big,slow,third", got)
	}
	if b, _ := os.ReadFile(filepath.Join(f.store, "big")); string(b) != strings.Repeat("b", 1000) {
		t.Errorf("big holds %d bytes, want the 1000 sent", len(b))
	}
}

// TestQuotaBeforeBody refuses a store whose Content-Length alone passes
// the quota with 507 before the body is read: the client sends only the
// head and still gets its answer.
func TestQuotaBeforeBody(t *testing.T) {
	const k = 100 << 10 // over the size below which the quota layer alone decides
	f := newFixtureFor(t, func(drv kv.Backend) *restserver.Handler { return restserver.New(quota.New(drv, 2*k)) })
	if resp, body := f.raw(t, "POST /a HTTP/1.1\n"+accept+"Content-Length: 120000\n", strings.Repeat("a", 120000)); resp.StatusCode != 200 {
		t.Fatalf("store a: %d %q", resp.StatusCode, body)
	}
	for _, c := range []struct {
		name   string
		length int
		status int
	}{
		{"b", 1 << 30, http.StatusInsufficientStorage},      // more than the whole quota
		{"b", 2*k - 119999, http.StatusInsufficientStorage}, // more than is free
		{"a", 2 * k, 0}, // replaces a: fits, so the body is awaited
	} {
		conn := f.dial(t)
		fmt.Fprintf(conn, "POST /%s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n", c.name,
			strings.ReplaceAll(accept, "\n", "\r\n"), c.length)
		if c.status == 0 {
			io.WriteString(conn, strings.Repeat("a", c.length))
			c.status = 200
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if resp, body := readResponse(t, conn); resp.StatusCode != c.status {
			t.Errorf("store %s of %d bytes: %d %q, want %d", c.name, c.length, resp.StatusCode, body, c.status)
		}
	}
}

// waitFor polls cond until it holds (a state reached, not a timing).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(time.Millisecond)
	}
}
