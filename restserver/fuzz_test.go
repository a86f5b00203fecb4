package restserver_test

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/quota"
	"github.com/kvcompose/compose/restserver"
)

// fuzzPerms is the permissions map of FuzzHandler: the root and keys
// read-only, data/ new items only, data/locked/ (under data/) read-only
// again, cache/ everything.
var fuzzPerms = map[string]string{"": "lr", "keys": "lr", "data": "lrw", "data/locked": "lr", "cache": "lrwWD"}

// fuzzLetters returns the letters fuzzPerms grants on name: those of the
// longest key that is name or one of its directories.
func fuzzLetters(name string) string {
	best, letters := -1, ""
	for k, v := range fuzzPerms {
		if (k == "" || name == k || strings.HasPrefix(name, k+"/")) && len(k) > best {
			best, letters = len(k), v
		}
	}
	return letters
}

// fuzzSnapshot maps every item file of the store (not the hidden quota
// record, not temporaries) to its content.
func fuzzSnapshot(t *testing.T, store string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(store, p)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, kv.HiddenSuffix) || strings.HasSuffix(rel, kv.TempSuffix) {
			return nil
		}
		b, _ := os.ReadFile(p)
		out[rel] = string(b)
		return nil
	})
	return out
}

// FuzzHandler feeds raw HTTP requests to a Handler over a posixfs store
// under a quota and permissions (fuzzPerms): whatever comes, the answer
// has a known status, a Content-Length that matches its body and the
// Cache-Control header, nothing beside the store changes, no request
// writes, overwrites or deletes where the map forbids it, and the quota's
// usage equals a scan of the store. The seeds run in every plain go test.
func FuzzHandler(f *testing.F) {
	a := "Accept: " + restproto.MediaType + "\r\n"
	seeds := []string{
		"POST /?cmd=create HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 3\r\n\r\nabc",
		"POST /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 3\r\n\r\nxyz",
		"POST /cache/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 40\r\n\r\n0123456789012345678901234567890123456789",
		"POST /cache/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 2\r\n\r\nab",
		"POST /cache/big HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 100\r\n\r\n",
		"POST /data/locked/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 1\r\n\r\nx",
		"POST /keys/repokey HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 1\r\n\r\nx",
		"POST /cache/c HTTP/1.1\r\nHost: x\r\n" + a + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST /cache/c HTTP/1.1\r\nHost: x\r\n" + a + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
		"GET /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Range: bytes=-2\r\n\r\n",
		"GET /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Range: bytes=1-0\r\n\r\n",
		"GET /data/00/k HTTP/1.1\r\nHost: x\r\n" + a + "Range: bytes=0-1,3-4\r\n\r\n",
		"GET /data/ HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"HEAD /data HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"HEAD / HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"POST /?cmd=move&current=data/00/k&new=data/01/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=move&current=cache/k&new=data/locked/k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=move&current=cache/k&new=cache/m HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=defrag&algorithm=sha256&namespace=data&levels=1 HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 20\r\n\r\n[[\"data/01/k\", 0, 2]]",
		"POST /?cmd=defrag&target=cache/d HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 28\r\n\r\n[[\"data/00/k\",0,99999999999]]",
		"POST /?cmd=defrag&target=data/locked/d HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 20\r\n\r\n[[\"data/00/k\", 0, 2]]",
		"POST /data/01/k?cmd=hash&algorithm=md5 HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"POST /?cmd=quota HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 0\r\n\r\n",
		"DELETE /data/01/k HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"DELETE /cache/m HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"DELETE /data/01?cmd=rmdir HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
		"POST /../x HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 1\r\n\r\nx",
		"POST /k HTTP/1.1\r\nHost: x\r\n" + a + "Content-Length: 9\r\n\r\nshort",
		"DELETE /?cmd=destroy HTTP/1.1\r\nHost: x\r\n" + a + "\r\n",
	}
	if !kv.IsValidName("data/./x") {
		// Aliases through "." segments, once the name rules refuse them
		// (issue 18): they must never reach what the map forbids.
		seeds = append(seeds,
			"POST /./keys/repokey HTTP/1.1\r\nHost: x\r\n"+a+"Content-Length: 1\r\n\r\nx",
			"POST /data/./locked/k HTTP/1.1\r\nHost: x\r\n"+a+"Content-Length: 1\r\n\r\nx",
			"DELETE /./data/00/k HTTP/1.1\r\nHost: x\r\n"+a+"\r\n",
			"POST /cache/./k HTTP/1.1\r\nHost: x\r\n"+a+"Content-Length: 3\r\n\r\nabc",
			"GET /. HTTP/1.1\r\nHost: x\r\n"+a+"\r\n")
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "outside.txt"), []byte("keep"), 0o644); err != nil {
		f.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	q := quota.New(newPosix(f, store), 64)
	if err := q.Create(context.Background()); err != nil {
		f.Fatal(err)
	}
	stack := permissions.New(q, fuzzPerms)
	h := restserver.New(stack, restserver.WithMaxBody(1<<20))
	f.Cleanup(func() { h.Close(context.Background()) })
	known := map[int]bool{200: true, 206: true, 400: true, 403: true, 404: true, 405: true, 406: true, 409: true,
		410: true, 412: true, 413: true, 416: true, 422: true, 500: true, 503: true, 507: true}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		before := fuzzSnapshot(t, store)
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
		after := fuzzSnapshot(t, store)
		for name, value := range after {
			old, existed := before[name]
			switch {
			case !existed && !strings.Contains(fuzzLetters(name), "w"):
				t.Errorf("%q (%d) made %s, where the map grants %q", raw, rec.Code, name, fuzzLetters(name))
			case existed && old != value && !strings.Contains(fuzzLetters(name), "W"):
				t.Errorf("%q (%d) overwrote %s, where the map grants %q", raw, rec.Code, name, fuzzLetters(name))
			}
		}
		for name := range before {
			if _, ok := after[name]; !ok && !strings.Contains(fuzzLetters(name), "D") {
				t.Errorf("%q (%d) deleted %s, where the map grants %q", raw, rec.Code, name, fuzzLetters(name))
			}
		}
		if usage, err := q.Quota(context.Background()); err == nil {
			var scan int64
			for _, v := range after {
				scan += int64(len(v))
			}
			if usage.Usage != scan {
				t.Errorf("after %q (%d): quota usage %d, a scan of the store %d", raw, rec.Code, usage.Usage, scan)
			}
		}
	})
}
