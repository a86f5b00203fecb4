package restserver_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/restserver"
)

// bigValue is larger than restserver.SmallBody: it streams.
var bigValue = func() []byte {
	v := make([]byte, restserver.SmallBody+restserver.SmallBody/2+7)
	for i := range v {
		v[i] = byte(i*7 + i/251)
	}
	return v
}()

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chunked returns value as a chunked body (pieces of 64 KiB) with a
// trailer holding hash ("" for none).
func chunked(value []byte, hash string) string {
	var b strings.Builder
	for p := value; len(p) > 0; p = p[min(len(p), 64<<10):] {
		n := min(len(p), 64<<10)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, p[:n])
	}
	b.WriteString("0\r\n")
	if hash != "" {
		b.WriteString(restproto.HeaderContentHash + ": " + hash + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestStreamStore stores values larger than SmallBody, with a Content-Length
// or chunked, their hash in the header or in a trailer: a right hash
// stores the value, a wrong or missing one stores nothing and keeps the
// old value.
func TestStreamStore(t *testing.T) {
	f := newFixture(t)
	old := []byte("old")
	if err := os.WriteFile(filepath.Join(f.store, "v"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	cl := fmt.Sprintf("Content-Length: %d\n", len(bigValue))
	te := "Transfer-Encoding: chunked\nTrailer: " + restproto.HeaderContentHash + "\n" +
		restproto.HeaderContentHash + ": " + restproto.HashInTrailer + "\n"
	wrong := strings.Repeat("0", 64)
	for _, c := range []struct {
		name, head, body string
		status           int
	}{
		{"length, hash", cl + restproto.HeaderContentHash + ": " + sha(bigValue) + "\n", string(bigValue), 200},
		{"length, wrong hash", cl + restproto.HeaderContentHash + ": " + wrong + "\n", string(bigValue), 422},
		{"length, no hash", cl, string(bigValue), 200},
		{"chunked, trailer", te, chunked(bigValue, sha(bigValue)), 200},
		{"chunked, wrong trailer", te, chunked(bigValue, wrong), 422},
		{"chunked, no trailer", te, chunked(bigValue, ""), 400},
		{"chunked, no hash", "Transfer-Encoding: chunked\n", chunked(bigValue, ""), 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(f.store, "v"), old, 0o644); err != nil {
				t.Fatal(err)
			}
			resp, msg := f.raw(t, "POST /v HTTP/1.1\n"+accept+c.head, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %q, want %d", resp.StatusCode, msg, c.status)
			}
			want := old
			if c.status == 200 {
				want = bigValue
			}
			if got, _ := os.ReadFile(filepath.Join(f.store, "v")); !bytes.Equal(got, want) {
				t.Errorf("v holds %d bytes, want %d", len(got), len(want))
			}
			if got := strings.Join(f.files(t), ","); got != "v" {
				t.Errorf("files: %s, want v alone (no temporary)", got)
			}
		})
	}
}

// TestStreamStoreMemory sends a body eight times the memory budget: it
// streams through a buffer of the budget's size, whatever its length.
func TestStreamStoreMemory(t *testing.T) {
	var h *restserver.Handler
	const budget = 64 << 10
	f := newFixtureFor(t, func(drv kv.Backend) *restserver.Handler {
		h = restserver.New(drv, restserver.WithMemoryBudget(budget))
		return h
	})
	c := f.dial(t)
	fmt.Fprintf(c, "POST /big HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n", strings.ReplaceAll(accept, "\n", "\r\n"), len(bigValue))
	c.Write(bigValue[:len(bigValue)/2])
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == budget })
	c.Write(bigValue[len(bigValue)/2:])
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if resp, body := readResponse(t, c); resp.StatusCode != 200 {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	waitFor(t, func() bool { return restserver.MemoryInUse(h) == 0 })
	if got, _ := os.ReadFile(filepath.Join(f.store, "big")); !bytes.Equal(got, bigValue) {
		t.Errorf("big holds %d bytes, want %d", len(got), len(bigValue))
	}
}

// TestStreamStoreBroken cuts, shortens or stalls a streamed body: nothing
// is stored, no temporary is left.
func TestStreamStoreBroken(t *testing.T) {
	f := newFixture(t, restserver.WithStallTimeout(200*time.Millisecond))
	head := fmt.Sprintf("POST /broken HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n", strings.ReplaceAll(accept, "\n", "\r\n"), len(bigValue))
	for _, c := range []struct {
		name string
		send func(c net.Conn)
	}{
		{"short", func(c net.Conn) {
			io.WriteString(c, head)
			c.Write(bigValue[:len(bigValue)-10])
			c.(*net.TCPConn).CloseWrite()
		}},
		{"cut", func(c net.Conn) {
			io.WriteString(c, head)
			c.Write(bigValue[:len(bigValue)/2])
			c.Close()
		}},
		{"stalled", func(c net.Conn) {
			io.WriteString(c, head)
			c.Write(bigValue[:len(bigValue)/2])
		}},
		{"chunked cut", func(c net.Conn) {
			io.WriteString(c, strings.Replace(head, fmt.Sprintf("Content-Length: %d", len(bigValue)), "Transfer-Encoding: chunked", 1))
			body := chunked(bigValue, "")
			io.WriteString(c, body[:len(body)-7]) // no last chunk
			c.(*net.TCPConn).CloseWrite()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := f.dial(t)
			c.send(conn)
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			io.ReadAll(conn) // the answer, if any, then the end of the connection
			f.finishedStoringNothing(t, "/broken")
		})
	}
}

// TestStreamLoad loads a value larger than SmallBody, whole and in
// ranges, over TCP and stdio: its Content-Length and its bytes.
func TestStreamLoad(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.store, "v"), bigValue, 0o644); err != nil {
		t.Fatal(err)
	}
	n := int64(len(bigValue))
	for _, c := range []struct {
		rng    string
		status int
		want   []byte
	}{
		{"", 200, bigValue},
		{"bytes=5-", 206, bigValue[5:]},
		{"bytes=-1200000", 206, bigValue[n-1200000:]},
		{"bytes=100-1100099", 206, bigValue[100:1100100]},
		{fmt.Sprintf("bytes=%d-", n+5), 206, nil},
	} {
		h := "GET /v HTTP/1.1\n" + accept
		if c.rng != "" {
			h += "Range: " + c.rng + "\n"
		}
		resp, body := f.raw(t, h, "")
		if resp.StatusCode != c.status || body != string(c.want) || resp.ContentLength != int64(len(c.want)) {
			t.Errorf("Range %q: %d, %d bytes, Content-Length %d; want %d, %d bytes", c.rng, resp.StatusCode, len(body), resp.ContentLength, c.status, len(c.want))
		}
	}
	// stdio: the answer streams with its Content-Length, then the next.
	reqs := "GET /v HTTP/1.1\r\nAccept: " + restproto.MediaType + "\r\n\r\n" +
		"GET /v HTTP/1.1\r\nAccept: " + restproto.MediaType + "\r\nRange: bytes=7-\r\n\r\n"
	h := restserver.New(newPosix(t, f.store))
	br := bufio.NewReader(strings.NewReader(stdio(t, h, reqs)))
	for i, want := range [][]byte{bigValue, bigValue[7:]} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("stdio response %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("stdio response %d: %d bytes, %v; want %d", i, len(b), err, len(want))
		}
	}
}

// lyingInfo is a store whose Info tells a size off by delta, as if the
// item were replaced between Info and LoadStream.
type lyingInfo struct {
	kv.Backend
	delta int64
}

func (l lyingInfo) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	info, err := l.Backend.Info(ctx, name, opts...)
	info.Size += l.delta
	return info, err
}

// TestLoadValueChanged serves a value that is not as long as Info said:
// the answer is cut off (over TCP and stdio), so the client sees a body
// shorter than its Content-Length, never a whole answer of wrong bytes.
func TestLoadValueChanged(t *testing.T) {
	for _, delta := range []int64{-1, 1, -100000} {
		t.Run(fmt.Sprint(delta), func(t *testing.T) {
			f := newFixtureFor(t, func(drv kv.Backend) *restserver.Handler {
				return restserver.New(lyingInfo{drv, delta})
			})
			if err := os.WriteFile(filepath.Join(f.store, "v"), bigValue, 0o644); err != nil {
				t.Fatal(err)
			}
			c := f.dial(t)
			io.WriteString(c, "GET /v HTTP/1.1\r\nHost: t\r\n"+strings.ReplaceAll(accept, "\n", "\r\n")+"\r\n")
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("TCP: %d bytes of %d, %v; want io.ErrUnexpectedEOF", len(b), resp.ContentLength, err)
			}

			h := restserver.New(lyingInfo{newPosix(t, f.store), delta})
			out := stdio(t, h, "GET /v HTTP/1.1\r\nAccept: "+restproto.MediaType+"\r\n\r\nGET /v HTTP/1.1\r\nAccept: "+restproto.MediaType+"\r\n\r\n")
			br := bufio.NewReader(strings.NewReader(out))
			resp, err = http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err = io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("stdio: %d bytes of %d, %v; want io.ErrUnexpectedEOF", len(b), resp.ContentLength, err)
			}
		})
	}
}
