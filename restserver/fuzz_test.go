package restserver_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/restserver"
)

// FuzzHandler feeds raw HTTP requests to a Handler over a posixfs store:
// whatever comes, the answer has a known status, a Content-Length that
// matches its body and the Cache-Control header, and nothing beside the
// store changes. The seeds run in every plain go test.
func FuzzHandler(f *testing.F) {
	a := "Accept: " + restproto.MediaType + "\r\n"
	for _, seed := range []string{
		"POST /?cmd=create HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 3\r\n\r\nabc",
		"GET /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Range: bytes=-2\r\n\r\n",
		"GET /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Range: bytes=1-0\r\n\r\n",
		"GET /data/ HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"HEAD /data HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"HEAD / HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"POST /?cmd=move&current=data/00/k&new=data/01/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=defrag&algorithm=sha256&namespace=data&levels=1 HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 20\r\n\r\n[[\"data/01/k\", 0, 2]]",
		"POST /data/01/k?cmd=hash&algorithm=md5 HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=quota HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"DELETE /data/01/k HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"DELETE /data/01?cmd=rmdir HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"POST /../x HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 1\r\n\r\nx",
		"POST /k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 9\r\n\r\nshort",
		"DELETE /?cmd=destroy HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "outside.txt"), []byte("keep"), 0o644); err != nil {
		f.Fatal(err)
	}
	h := restserver.New(newPosix(f, filepath.Join(dir, "store")), restserver.WithMaxBody(1<<20))
	f.Cleanup(func() { h.Close(context.Background()) })
	known := map[int]bool{200: true, 206: true, 400: true, 404: true, 405: true, 406: true, 409: true,
		410: true, 412: true, 413: true, 416: true, 422: true, 500: true}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !known[rec.Code] {
			t.Errorf("status %d for %q", rec.Code, raw)
		}
		if rec.Code == 500 {
			t.Logf("500 for %q: %s", raw, rec.Body)
		}
		cl, err := strconv.Atoi(rec.Header().Get("Content-Length"))
		if err != nil || (req.Method != http.MethodHead && cl != rec.Body.Len()) {
			t.Errorf("Content-Length %q with %d bytes for %q", rec.Header().Get("Content-Length"), rec.Body.Len(), raw)
		}
		if rec.Header().Get("Cache-Control") != restproto.CacheControl {
			t.Errorf("no Cache-Control for %q", raw)
		}
		if strings.Contains(rec.Body.String(), dir) {
			t.Errorf("a server path in %q", rec.Body)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "outside.txt" && e.Name() != "store" {
				t.Fatalf("%q made %s beside the store", raw, e.Name())
			}
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "outside.txt")); string(b) != "keep" {
			t.Fatalf("%q changed outside.txt", raw)
		}
	})
}
