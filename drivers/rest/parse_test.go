package rest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kvcompose/compose/kv"
)

// TestReadAll checks the reader of bodies: what it returns, and that it
// allocates no more ahead than the smallest of the claim, the limit and
// the read-ahead, whatever the claim.
func TestReadAll(t *testing.T) {
	const ahead = 1 << 10
	cases := []struct {
		name           string
		body           string
		claimed, limit int64
		want           string
		err            error
		maxCap         int // the most capacity of the result
	}{
		{"exact claim", "hello", 5, -1, "hello", nil, 6},
		{"unknown length", "hello", -1, -1, "hello", nil, ahead},
		{"false claim", "abc", 2_000_000_000, -1, "abc", nil, ahead},
		{"false claim, range", "abc", 2_000_000_000, 10, "abc", nil, 11},
		{"claim too short", "hello world", 5, -1, "hello world", nil, 2 * ahead},
		{"over the limit", "hello world", -1, 5, "hello", errTooLong, 6},
		{"over the limit, claimed", "hello world", 11, 5, "hello", errTooLong, 6},
		{"at the limit", "hello", -1, 5, "hello", nil, 6},
		{"empty", "", 0, -1, "", nil, 8},
		{"empty, unknown", "", -1, -1, "", nil, ahead},
		{"larger than ahead", strings.Repeat("x", 5000), 5000, -1, strings.Repeat("x", 5000), nil, 5001 + 511},
		{"larger than ahead, unknown", strings.Repeat("x", 5000), -1, -1, strings.Repeat("x", 5000), nil, 8 * ahead},
	}
	for _, c := range cases {
		for _, r := range []io.Reader{strings.NewReader(c.body), iotest.OneByteReader(strings.NewReader(c.body)),
			iotest.DataErrReader(strings.NewReader(c.body))} {
			got, err := readAll(r, c.claimed, c.limit, ahead)
			if string(got) != c.want || !errors.Is(err, c.err) {
				t.Errorf("%s: %q, %v; want %q, %v", c.name, got, err, c.want, c.err)
			}
			if cap(got) > c.maxCap {
				t.Errorf("%s: capacity %d, want at most %d", c.name, cap(got), c.maxCap)
			}
		}
	}
	if !errors.Is(errTooLong, kv.ErrProtocol) {
		t.Error("errTooLong is not kv.ErrProtocol")
	}
	broken := errors.New("broken")
	if got, err := readAll(iotest.TimeoutReader(strings.NewReader("ab")), 10, -1, ahead); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("a reader that fails: %q, %v", got, err)
	}
	if _, err := readAll(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(broken)), -1, -1, ahead); !errors.Is(err, broken) {
		t.Errorf("a reader that fails: %v", err)
	}
}

// TestReadAllAllocs pins the allocations: one for a body whose length is
// claimed truly, and a false claim of 2 GB costs the read-ahead at most.
func TestReadAllAllocs(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 64<<10)
	r := bytes.NewReader(body)
	if n := testing.AllocsPerRun(20, func() {
		r.Reset(body)
		readAll(r, int64(len(body)), -1, 1<<20)
	}); n > 1 {
		t.Errorf("%v allocations for a body of known length, want 1", n)
	}
	got, _ := readAll(strings.NewReader("abc"), 2_000_000_000, -1, 1<<20)
	if cap(got) > 1<<20 {
		t.Errorf("a claim of 2 GB took %d bytes", cap(got))
	}
}

func TestParseInfo(t *testing.T) {
	ok := []struct {
		h    http.Header
		want kv.ItemInfo
	}{
		{http.Header{"Content-Length": {"12"}, "X-Borgstore-Is-Directory": {"false"}}, kv.ItemInfo{Name: "a", Exists: true, Size: 12}},
		{http.Header{"Content-Length": {"4096"}, "X-Borgstore-Is-Directory": {"true"}}, kv.ItemInfo{Name: "a", Exists: true, Directory: true}},
		{http.Header{"Content-Length": {"0"}}, kv.ItemInfo{Name: "a", Exists: true}},
	}
	for _, c := range ok {
		if got, err := parseInfo("a", c.h); err != nil || got != c.want {
			t.Errorf("%v: %+v, %v; want %+v", c.h, got, err, c.want)
		}
	}
	for _, h := range []http.Header{
		{},
		{"Content-Length": {"-1"}},
		{"Content-Length": {"12x"}},
		{"Content-Length": {"1"}, "X-Borgstore-Is-Directory": {"yes"}},
		{"Content-Length": {"1"}, "X-Borgstore-Atime": {"yesterday"}},
		{"Content-Length": {"1"}, "X-Borgstore-Atime": {"-5"}},
	} {
		if got, err := parseInfo("a", h); err == nil {
			t.Errorf("%v: %+v, want an error", h, got)
		}
	}
}

// checkListing checks what parseListing returned for body: sorted, unique,
// valid names without "/", sizes not negative.
func checkListing(t *testing.T, body []byte) {
	items, err := parseListing(body)
	if err != nil {
		return
	}
	for i, it := range items {
		if !kv.IsValidName(it.Name) || strings.Contains(it.Name, "/") || it.Size < 0 || !it.Exists {
			t.Fatalf("%q: entry %+v", body, it)
		}
		if i > 0 && items[i-1].Name >= it.Name {
			t.Fatalf("%q: %q before %q", body, items[i-1].Name, it.Name)
		}
	}
}

func TestParseListing(t *testing.T) {
	items, err := parseListing([]byte(`[{"name": "b", "size": 3, "directory": false, "atime": 1.5},
		{"name": "a", "size": 4096, "directory": true}, {"name": "../x"}, {"name": "c/d"}, {"name": ""}]`))
	if err != nil || len(items) != 2 || items[0].Name != "a" || !items[0].Directory || items[1].Name != "b" || items[1].Size != 3 {
		t.Errorf("%+v, %v", items, err)
	}
	for _, body := range []string{"", "<html>", "{}", `[{"name": 1}]`, `[{"name": "a", "size": -1}]`,
		`[{"name": "a"}, {"name": "a"}]`, `[{"name": "a", "size": 1.5}]`, "[", `[{"name": "a"}] x`} {
		if items, err := parseListing([]byte(body)); err == nil {
			t.Errorf("%q: %+v, want an error", body, items)
		}
	}
}

func FuzzParseListing(f *testing.F) {
	for _, s := range []string{`[]`, `null`, `[{"name": "a", "size": 1}]`, `[{"name": "a"}, {"name": "b", "directory": true, "atime": 1e300}]`,
		`[{"name": "a", "size": -1}]`, `[{"name": "."}, {"name": "a/b"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkListing)
}

func TestParseSmallAnswers(t *testing.T) {
	if q, err := parseQuota([]byte(`{"limit": 100, "usage": 42}`)); err != nil || q != (kv.Quota{Limit: 100, Usage: 42}) {
		t.Errorf("quota: %+v, %v", q, err)
	}
	for _, body := range []string{"", "<html>", `{"limit": 1}`, `{"usage": 1}`, `[1, 2]`, `{"limit": "1", "usage": 2}`} {
		if q, err := parseQuota([]byte(body)); err == nil {
			t.Errorf("quota %q: %+v, want an error", body, q)
		}
	}
	if h, err := parseHash([]byte("abc123\n")); err != nil || h != "abc123" {
		t.Errorf("hash: %q, %v", h, err)
	}
	for _, body := range []string{"", "  ", "<html>", "abc 123", strings.Repeat("a", 129), "xyz"} {
		if h, err := parseHash([]byte(body)); err == nil {
			t.Errorf("hash %q: %q, want an error", body, h)
		}
	}
	if n, err := parseName([]byte("data/0123\n")); err != nil || n != "data/0123" {
		t.Errorf("name: %q, %v", n, err)
	}
	for _, body := range []string{"", "../x", "/etc/passwd", "a//b", "a/"} {
		if n, err := parseName([]byte(body)); err == nil {
			t.Errorf("name %q: %q, want an error", body, n)
		}
	}
}

func FuzzParseSmallAnswers(f *testing.F) {
	for _, s := range []string{`{"limit": 1, "usage": 2}`, "abc123", "data/00", "<html>", `{"limit": null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parseQuota(body)
		if h, err := parseHash(body); err == nil && (h == "" || len(h) > maxDigest || strings.Trim(h, "0123456789abcdefABCDEF") != "") {
			t.Fatalf("%q: digest %q", body, h)
		}
		if n, err := parseName(body); err == nil && !kv.IsValidName(n) {
			t.Fatalf("%q: name %q", body, n)
		}
		var h http.Header = map[string][]string{"Content-Length": {string(body)}, "X-Borgstore-Atime": {string(body)}}
		if info, err := parseInfo("a", h); err == nil && info.Size < 0 {
			t.Fatalf("%q: info %+v", body, info)
		}
	})
}
