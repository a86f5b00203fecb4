package cache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/cache"
)

// TestValidatePolicy checks that bad policies are refused with a message
// that says why, and that Open refuses them too.
func TestValidatePolicy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy map[string]cache.Policy
		want   string // "" for a valid policy
	}{
		{"empty", nil, ""},
		{"root", map[string]cache.Policy{"": {Mode: cache.Mirror}}, ""},
		{"nested", map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, MaxAge: time.Hour, MaxSize: 1 << 30, Verify: "sha256"},
			"data/tmp/": {Mode: cache.Off}}, ""},
		{"no-slash", map[string]cache.Policy{"data": {Mode: cache.Mirror}}, `"data": a namespace prefix must end in "/"`},
		{"bad-name", map[string]cache.Policy{"Data/": {Mode: cache.Mirror}}, "not a valid directory name"},
		{"bad-mode", map[string]cache.Policy{"data/": {Mode: cache.Mode(9)}}, "unknown mode mode(9)"},
		{"negative-age", map[string]cache.Policy{"data/": {Mode: cache.Mirror, MaxAge: -1}}, "negative MaxAge"},
		{"negative-size", map[string]cache.Policy{"data/": {Mode: cache.Mirror, MaxSize: -1}}, "negative MaxSize"},
		{"bad-hash", map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, Verify: "crc32"}}, `hash algorithm "crc32"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cache.ValidatePolicy(tc.policy)
			if tc.want == "" {
				if err != nil {
					t.Errorf("ValidatePolicy: %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ValidatePolicy: %v, want an error containing %q", err, tc.want)
			}
			l := cache.New(memory.New(""), memory.New(""), tc.policy)
			must(t, l.Create(t.Context()), "create")
			if err := l.Open(t.Context()); !errors.Is(err, kv.ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("open: %v, want ErrUnsupported containing %q", err, tc.want)
			}
		})
	}
}

// TestNoCacheStore checks that a layer without a cache store does not open.
func TestNoCacheStore(t *testing.T) {
	l := cache.New(memory.New(""), nil, nil)
	must(t, l.Create(t.Context()), "create")
	if err := l.Open(t.Context()); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("open without a cache store: %v, want ErrUnsupported", err)
	}
}

// TestParseMode checks the names of the modes, both ways.
func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want cache.Mode
		ok   bool
	}{
		{"off", cache.Off, true}, {"mirror", cache.Mirror, true}, {"writethrough", cache.WriteThrough, true},
		{"WriteThrough", cache.WriteThrough, true}, {"MIRROR", cache.Mirror, true},
		{"cache", cache.Off, false}, {"", cache.Off, false}, {"write-through", cache.Off, false},
	} {
		got, err := cache.ParseMode(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && !strings.EqualFold(got.String(), tc.in) {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}
