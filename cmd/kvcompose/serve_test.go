package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackendURL(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory:", err)
	}
	wd, _ := os.Getwd()
	cases := map[string]string{
		"file:///srv/store":   "file:///srv/store",
		"mem://x":             "mem://x",
		"FILE:/srv/borg repo": "file:///srv/borg%20repo",
		"FILE:rel/repo":       "file://" + filepath.Join(wd, "rel/repo"),
		"FILE:~/repo":         "file://" + filepath.Join(home, "repo"),
		"FILE:~":              "file://" + home,
	}
	for in, want := range cases {
		got, err := backendURL(in)
		if err != nil || got != want {
			t.Errorf("backendURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"FILE:", "FILE:~nosuchuser-kvcompose/x"} {
		if _, err := backendURL(bad); err == nil {
			t.Errorf("backendURL(%q) accepted", bad)
		}
	}
}

func TestServeFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, `"backend" not set`},
		{[]string{"serve", "--backend", "mem://x", "--username", "u"}, "go together"},
		{[]string{"serve", "--backend", "mem://x", "--stdio", "--socket-activation"}, "exclude"},
		{[]string{"serve", "--backend", "nope://x", "--port", "0"}, "unknown scheme"},
		{[]string{"serve", "--backend", "mem://x", "--socket-activation"}, "LISTEN_FDS"},
		{[]string{"serve", "--backend", "mem://x", "--memory-budget", "0"}, "must be positive"},
		{[]string{"serve", "--backend", "mem://x", "--restrict-to-path", "/srv"}, "only a local path"},
		{[]string{"serve", "--backend", "FILE:/etc", "--restrict-to-repository", "/srv/a", "-v"}, "not allowed"},
	}
	for _, c := range cases {
		err := execute(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// execute runs the command's cobra tree with args in this process, its
// output discarded, and returns its error.
func execute(args ...string) error {
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	return root.Execute()
}
