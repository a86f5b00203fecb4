package restserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/restserver"
)

// A Handler answers borgstore's REST requests; here a create, a store and
// a load, sent with a plain HTTP client.
func ExampleNew() {
	h := restserver.New(memory.New("served"), restserver.WithCredentials("borg", "secret"))
	srv := httptest.NewServer(h)
	defer srv.Close()

	send := func(method, target, body string) {
		req, _ := http.NewRequest(method, srv.URL+target, nil)
		if body != "" {
			req, _ = http.NewRequest(method, srv.URL+target, strings.NewReader(body))
		}
		req.Header.Set("Accept", restproto.MediaType)
		req.SetBasicAuth("borg", "secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(strings.TrimSpace(fmt.Sprint(method, " ", target, " ", resp.StatusCode, " ", string(b))))
	}
	send("POST", "/?cmd=create", "")
	send("POST", "/config/settings", "level=1")
	send("GET", "/config/settings", "")
	send("GET", "/config/", "")
	// Output:
	// POST /?cmd=create 200
	// POST /config/settings 200
	// GET /config/settings 200 level=1
	// GET /config/ 200 [{"name":"settings","size":7,"directory":false,"atime":0}]
}
