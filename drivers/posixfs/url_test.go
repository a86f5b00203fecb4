package posixfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestFromURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		base string // "" when the URL is invalid
		says string // part of the error message
	}{
		{"file:///srv/store", "/srv/store", ""},
		{"file:///srv/my%20store/x", "/srv/my store/x", ""},
		{"file:///srv/a/../b/", "/srv/b", ""},
		{"file:/srv/store", "/srv/store", ""},
		{"file://localhost/srv", "", "host part"},
		{"file://host/x", "", "host part"},
		{"file://rel/x", "", "host part"},
		{"file://user@/x", "", "host part"},
		{"file:rel", "", "relative path"},
		{"file:rel/x", "", "relative path"},
		{"file://", "", "no path"},
		{"file:///", "", "file system root"},
		{"file:///srv?x=1", "", "query"},
		{"file:///srv?", "", "query"},
		{"file:///srv#frag", "", "fragment"},
		{"file:///srv#", "", "fragment"},
		{"sftp:///srv", "", `scheme "sftp"`},
		{"/srv/store", "", `scheme ""`},
		{"FILE:///srv", "/srv", ""},
		{"file:///srv/%zz", "", "invalid URL escape"},
	} {
		d, err := FromURL(tc.url)
		if tc.base != "" {
			if err != nil || d.Base() != tc.base {
				t.Errorf("FromURL(%q) = %v, %v; want base %q", tc.url, d, err, tc.base)
			}
			continue
		}
		if !errors.Is(err, kv.ErrInvalidURL) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("FromURL(%q): error %v, want ErrInvalidURL saying %q", tc.url, err, tc.says)
		}
	}
}
