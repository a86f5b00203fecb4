package sftp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
)

func TestFromURL(t *testing.T) {
	for _, tc := range []struct{ url, want, err string }{
		{url: "sftp://host/rel/path", want: "sftp://host/rel/path"},
		{url: "sftp://host//abs/path", want: "sftp://host//abs/path"},
		{url: "sftp://user@host:2222/store", want: "sftp://user@host:2222/store"},
		{url: "sftp://us%40er@host/st%20ore", want: "sftp://us%40er@host/st ore"},
		{url: "sftp://[::1]:22//srv/repo", want: "sftp://[::1]:22//srv/repo"},
		{url: "sftp://host/a/../b", want: "sftp://host/b"},
		{url: "sftp://host", err: "no path"},
		{url: "sftp://host/", err: "no path"},
		{url: "sftp://host//", err: "no path"},
		{url: "sftp://host/.", err: "not the login directory"},
		{url: "sftp:///path", err: "no host"},
		{url: "sftp:host/path", err: "no host"},
		{url: "file:///path", err: `scheme "file"`},
		{url: "sftp://host:99999/p", err: "invalid port"},
		{url: "sftp://host:port/p", err: "invalid port"},
		{url: "sftp://u:secret@host/p", err: "password"},
		{url: "sftp://host/p?x=1", err: `unknown query parameter "x"`},
		{url: "sftp://host/p?sync=maybe", err: "want sync=true or sync=false"},
		{url: "sftp://host/p?", err: "empty query"},
		{url: "sftp://host/p#f", err: "fragment"},
		{url: "sftp://host/p?sync=true", want: "sftp://host/p?sync=true"},
		{url: "sftp://host/p?sync=false", want: "sftp://host/p"},
		{url: "sftp://host/%zz", err: "invalid URL escape"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			d, err := sftp.FromURL(tc.url)
			if tc.err != "" {
				if !errors.Is(err, kv.ErrInvalidURL) || !contains(err, tc.err) {
					t.Fatalf("FromURL: %v, want kv.ErrInvalidURL saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.String(); got != tc.want {
				t.Errorf("driver %s, want %s", got, tc.want)
			}
		})
	}
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
