package restserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestOperation checks the store call named for each kind of request.
func TestOperation(t *testing.T) {
	for _, c := range []struct{ method, target, op, route string }{
		{"GET", "/data/0123", "load", "/{name}"},
		{"GET", "/data/", "list", "/{name}/"},
		{"GET", "/", "open", "/"},
		{"GET", "/?cmd=quota", "quota", "/"},
		{"HEAD", "/data/0123", "info", "/{name}"},
		{"HEAD", "/", "open", "/"},
		{"POST", "/data/0123", "store", "/{name}"},
		{"POST", "/?cmd=create", "create", "/"},
		{"POST", "/data?cmd=mkdir", "mkdir", "/{name}"},
		{"POST", "/data/01?cmd=move&current=data/01&new=data/02", "move", "/{name}"},
		{"POST", "/data/01?cmd=hash&algorithm=sha256", "hash", "/{name}"},
		{"POST", "/data/01?cmd=defrag", "defrag", "/{name}"},
		{"POST", "/data/01?cmd=evil", "other", "/{name}"},
		{"DELETE", "/data/0123", "delete", "/{name}"},
		{"DELETE", "/?cmd=destroy", "destroy", "/"},
		{"DELETE", "/data?cmd=rmdir", "rmdir", "/{name}"},
		{"PUT", "/data/0123", "other", "/{name}"},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		if got := operation(r); got != c.op {
			t.Errorf("%s %s: operation %q, want %q", c.method, c.target, got, c.op)
		}
		if got := route(r); got != c.route {
			t.Errorf("%s %s: route %q, want %q", c.method, c.target, got, c.route)
		}
	}
}

// TestRecorderUnwraps checks that the access log's ResponseWriter lets
// http.ResponseController reach the connection, so that the stall
// deadlines of the protocol's handler still hold under it.
func TestRecorderUnwraps(t *testing.T) {
	errs := make(chan error, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(&recorder{ResponseWriter: w})
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("deadline through the recorder: %v", err)
		}
	}
}
