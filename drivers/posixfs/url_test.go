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
		{"file:///srv?x=1", "", `unknown query parameter "x"`},
		{"file:///srv?sync=true&x=1", "", `unknown query parameter "x"`},
		{"file:///srv?sync=yes", "", "want sync=true or sync=false"},
		{"file:///srv?sync=true&sync=false", "", "given 2 times"},
		{"file:///srv?sync=%zz", "", "invalid URL escape"},
		{"file:///srv?", "", "empty query"},
		{"file:///srv#frag", "", "fragment"},
		{"file:///srv#", "", "fragment"},
		{"sftp:///srv", "", `scheme "sftp"`},
		{"/srv/store", "", `scheme ""`},
		{"FILE:///srv", "/srv", ""},
		{"file:///srv/store?sync=true", "/srv/store", ""},
		{"file:///srv/store?sync=TRUE", "/srv/store", ""},
		{"file:///srv/store?sync=false", "/srv/store", ""},
		{"file:///srv/%zz", "", "invalid URL escape"},
	} {
		d, err := FromURL(tc.url)
		if tc.base != "" && strings.Contains(tc.url, "?") {
			if err != nil || d.Base() != tc.base || d.fsync != strings.HasSuffix(strings.ToLower(tc.url), "sync=true") {
				t.Errorf("FromURL(%q) = %+v, %v; want base %q, fsync as the query says", tc.url, d, err, tc.base)
			}
			continue
		}
		if tc.base != "" {
			if err != nil || d.Base() != tc.base || d.fsync {
				t.Errorf("FromURL(%q) = %v, %v; want base %q without fsync", tc.url, d, err, tc.base)
			}
			continue
		}
		if !errors.Is(err, kv.ErrInvalidURL) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("FromURL(%q): error %v, want ErrInvalidURL saying %q", tc.url, err, tc.says)
		}
	}
}
