package restproto

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

func TestRange(t *testing.T) {
	cases := []struct {
		offset, size int64
		header       string
	}{
		{0, -1, ""},
		{5, -1, "bytes=5-"},
		{0, 10, "bytes=0-9"},
		{3, 1, "bytes=3-3"},
		{-3, -1, "bytes=-3"},
	}
	for _, c := range cases {
		if got := FormatRange(c.offset, c.size); got != c.header {
			t.Errorf("FormatRange(%d, %d) = %q, want %q", c.offset, c.size, got, c.header)
		}
		if c.header == "" {
			continue
		}
		o, s, ok := ParseRange(c.header)
		if !ok || o != c.offset || s != c.size {
			t.Errorf("ParseRange(%q) = %d, %d, %v", c.header, o, s, ok)
		}
	}
	for _, bad := range []string{"", "bytes=", "bytes=a-", "bytes=5-3", "bytes=0--1", "items=0-1", "bytes=1-2,4-5", "bytes=--1"} {
		if _, _, ok := ParseRange(bad); ok {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
	if o, s, ok := ParseRange("bytes=5-4"); !ok || o != 5 || s != 0 {
		t.Errorf("ParseRange of an empty range: %d, %d, %v", o, s, ok)
	}
}

// TestErrors maps every sentinel to its status and back.
func TestErrors(t *testing.T) {
	for _, kind := range []error{kv.ErrNotFound, kv.ErrNoStore, kv.ErrExists, kv.ErrNotOpen, kv.ErrAlreadyOpen,
		kv.ErrPermission, kv.ErrQuotaExceeded, kv.ErrReadRange, kv.ErrInvalidName, kv.ErrUnsupported, kv.ErrNotAStore} {
		err := backendkit.NewError(kv.OpLoad, "x", kind, errors.New("cause"))
		status := Status(err)
		back := Error(kv.OpLoad, "x", status, Message(err))
		if !errors.Is(back, kind) {
			t.Errorf("%v -> %d -> %v", kind, status, back)
		}
	}
	if s := Status(errors.New("disk on fire")); s != http.StatusInternalServerError {
		t.Errorf("unknown error: %d", s)
	}
	if Error(kv.OpLoad, "", 200, "") != nil || Error(kv.OpLoad, "", 206, "") != nil {
		t.Error("200 and 206 are not errors")
	}
	for _, s := range []int{422, 502, 503, 504} {
		if !Retryable(s) || !errors.Is(Error(kv.OpLoad, "", s, ""), kv.ErrConnection) {
			t.Errorf("%d is not a retryable connection error", s)
		}
	}
	if !errors.Is(Error(kv.OpLoad, "", 401, "Unauthorized"), kv.ErrPermission) {
		t.Error("401 is not ErrPermission")
	}
}

func TestMessageHidesPaths(t *testing.T) {
	err := backendkit.NewError(kv.OpLoad, "a/b", kv.ErrNotFound, errors.New("open /srv/borg/store/a/b: no such file"))
	msg := Message(err)
	if strings.Contains(msg, "/srv") || !strings.Contains(msg, `"a/b"`) {
		t.Errorf("Message = %q", msg)
	}
}

func TestAtime(t *testing.T) {
	now := time.Unix(1700000000, 250000000)
	if got := ParseAtimeHeader(FormatAtime(now)); !got.Equal(now) {
		t.Errorf("atime round trip: %v, want %v", got, now)
	}
	if !ParseAtimeHeader("0").IsZero() || !ParseAtimeHeader("x").IsZero() || FormatAtime(time.Time{}) != "0" {
		t.Error("the zero atime")
	}
}
