package rest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestFromURL(t *testing.T) {
	t.Setenv("BORGSTORE_REST_USERNAME", "envuser")
	t.Setenv("BORGSTORE_REST_PASSWORD", "envpass")
	t.Setenv("BORGSTORE_RSH", "")
	cases := []struct {
		url        string
		base       string
		user, pass string
		argv       string
		props      kv.Properties
	}{
		{url: "http://host/", base: "http://host", user: "envuser", pass: "envpass",
			props: kv.Properties{Scheme: "http", Remote: true, Address: "host", Port: 80}},
		{url: "https://u:p%40ss@host:8443/sub/path/", base: "https://host:8443/sub/path", user: "u", pass: "p@ss",
			props: kv.Properties{Scheme: "https", Remote: true, Address: "host", Port: 8443}},
		{url: "http://u@host", base: "http://host", user: "envuser", pass: "envpass",
			props: kv.Properties{Scheme: "http", Remote: true, Address: "host", Port: 80}},
		{url: "rest://backup@host:2222/repos/a", base: "http://stdio-backend",
			argv:  "ssh -o ServerAliveInterval=30 -o ServerAliveCountMax=3 -p 2222 backup@host borgstore-server-rest --stdio --backend FILE:repos/a",
			props: kv.Properties{Scheme: "rest", Remote: true, Address: "host", Port: 2222}},
		{url: "rest://host//abs/repo", base: "http://stdio-backend",
			argv:  "ssh -o ServerAliveInterval=30 -o ServerAliveCountMax=3 host borgstore-server-rest --stdio --backend FILE:/abs/repo",
			props: kv.Properties{Scheme: "rest", Remote: true, Address: "host", Port: 22}},
		{url: "rest://[::1]/~/repo", base: "http://stdio-backend",
			argv:  "ssh -o ServerAliveInterval=30 -o ServerAliveCountMax=3 [::1] borgstore-server-rest --stdio --backend FILE:~/repo",
			props: kv.Properties{Scheme: "rest", Remote: true, Address: "::1", Port: 22}},
		{url: "rest:///rel/repo", base: "http://stdio-backend",
			argv:  "borgstore-server-rest --stdio --backend FILE:rel/repo",
			props: kv.Properties{Scheme: "rest", Remote: true}},
	}
	for _, c := range cases {
		d, err := FromURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if d.base != c.base || d.user != c.user || d.pass != c.pass || strings.Join(d.argv, " ") != c.argv {
			t.Errorf("%s: base %q user %q pass %q argv %q", c.url, d.base, d.user, d.pass, d.argv)
		}
		if p := d.Properties(); p != c.props {
			t.Errorf("%s: %+v, want %+v", c.url, p, c.props)
		}
		if strings.Contains(d.String(), "p@ss") || strings.Contains(d.String(), "envpass") {
			t.Errorf("%s: String shows the password: %s", c.url, d)
		}
	}
}

func TestFromURLServerAndRSH(t *testing.T) {
	t.Setenv("BORGSTORE_RSH", `ssh -i "/keys/my key" -o BatchMode=yes`)
	d, err := FromURL("rest://host/repo", WithServerCommand("kvcompose serve"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ssh", "-i", "/keys/my key", "-o", "BatchMode=yes", "host", "kvcompose", "serve", "--stdio", "--backend", "FILE:repo"}
	if !slices.Equal(d.Command(), want) {
		t.Errorf("command %q, want %q", d.Command(), want)
	}
}

func TestFromURLInvalid(t *testing.T) {
	for _, u := range []string{"ftp://host/", "http://", "http:///path", "http://host/?x=1", "http://host/#f",
		"http://host:99999/", "rest://host", "rest://", "rest://host:x/p", "rest://host/p?q", "https://:443/"} {
		if _, err := FromURL(u); !errors.Is(err, kv.ErrInvalidURL) {
			t.Errorf("%s: %v, want kv.ErrInvalidURL", u, err)
		}
	}
	if _, err := FromURL("rest://host/p", WithServerCommand(`"unterminated`)); !errors.Is(err, kv.ErrInvalidURL) {
		t.Errorf("a bad server command: %v", err)
	}
}
