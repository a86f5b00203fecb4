package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	u, dir := newStore(t)
	ok(t, "v", "put", u, "data/aa")
	missing := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "none"))
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // substrings of the one line on stderr
	}{
		// Usage errors: 2.
		{"no command", "", []string{"nope"}, 2, []string{`unknown command "nope"`}},
		{"unknown flag", "", []string{"get", "--nope", u, "data/aa"}, 2, []string{"unknown flag: --nope"}},
		{"too few arguments", "", []string{"get", u}, 2, []string{"usage: kvcompose get URL NAME", "got 1 argument"}},
		{"too many arguments", "", []string{"mv", u, "a", "b", "c"}, 2, []string{"usage: kvcompose mv URL FROM TO"}},
		{"bad --levels", "", []string{"ls", "--levels", "data/", u}, 2, []string{`--levels "data/"`, "NAMESPACE=LEVEL"}},
		{"bad level", "", []string{"ls", "--levels", "data/=9", u}, 2, []string{`level "9"`}},
		{"namespace twice", "", []string{"ls", "--levels", "data/=1", "--levels", "data/=2", u}, 2, []string{"given twice"}},
		{"namespace without /", "", []string{"ls", "--levels", "data=1", u}, 2, []string{`--levels "data=1"`, "ends in /", "data/=1"}},
		{"--change-levels alone", "", []string{"ls", "--change-levels", u}, 2, []string{"--change-levels", "--levels"}},
		{"uppercase key with levels", "", []string{"get", "--levels", "data/=0", u, "Data/aa"}, 2, []string{`"Data/aa"`, "names are lowercase"}},
		{"unknown layout", "", []string{"ls", "--layout", "borg1", u}, 2, []string{`--layout "borg1"`, "borg2"}},
		{"unknown algorithm", "", []string{"hash", "--algorithm", "crc32", u, "data/aa"}, 2, []string{`"crc32"`, "sha256"}},
		{"soft and deleted", "", []string{"rm", "--soft", "--deleted", u, "data/aa"}, 2, []string{"exclude each other"}},
		{"long and json", "", []string{"ls", "-l", "--json", u}, 2, []string{"exclude each other"}},
		{"bench without URL", "", []string{"bench"}, 2, []string{"--compare"}},
		{"bench --compare on sftp", "", []string{"bench", "--compare", "sftp://host/x"}, 2, []string{"file:///absolute/dir"}},
		{"bad URL", "", []string{"ls", "no-scheme"}, 2, []string{`"no-scheme"`, "invalid url", "no scheme"}},
		{"unknown scheme", "", []string{"ls", "ftp://host/x"}, 2, []string{`unknown scheme "ftp"`}},
		{"relative file URL", "", []string{"ls", "file://relative/path"}, 2, []string{"invalid url"}},
		{"invalid name", "", []string{"get", u, "Data/aa"}, 2, []string{`"Data/aa"`, "invalid name"}},
		{"mem for put", "x", []string{"put", "mem://x", "data/aa"}, 2, []string{"mem://x", "new, empty one", "bench and serve"}},
		{"mem for get", "", []string{"get", "mem://x", "data/aa"}, 2, []string{"new, empty one"}},
		{"mem for ls", "", []string{"ls", "MEM://x"}, 2, []string{"new, empty one"}},
		{"mem for create", "", []string{"create", "mem://x"}, 2, []string{"new, empty one"}},
		{"mem for quota", "", []string{"quota", "mem://x"}, 2, []string{"new, empty one"}},
		{"unknown URL parameter", "", []string{"ls", u + "?fsync=1"}, 2, []string{`unknown query parameter "fsync"`}},
		{"levels that contradict the store", "", []string{"get", "--levels", "data/=1", u, "data/aa"}, 1, []string{`"data/"=[1]`, "level change"}},
		// Failed operations: 1.
		{"--sync on rclone", "", []string{"ls", "--sync", "rclone::local:" + dir}, 1, []string{"WithSync", "rclone"}},
		{"missing item", "", []string{"get", u, "data/zz"}, 1, []string{u, `"data/zz"`, "not found"}},
		{"missing item, hash", "", []string{"hash", u, "data/zz"}, 1, []string{`"data/zz"`, "not found"}},
		{"missing item, rm", "", []string{"rm", u, "data/zz"}, 1, []string{`"data/zz"`, "not found"}},
		{"missing item, mv", "", []string{"mv", u, "data/zz", "data/yy"}, 1, []string{`"data/zz"`, "not found"}},
		{"nothing to undelete", "", []string{"undelete", u, "data/aa"}, 1, []string{`"data/aa`, "not found"}},
		{"missing namespace", "", []string{"ls", u, "nothing"}, 1, []string{`"nothing"`, "not found"}},
		{"missing store", "", []string{"get", missing, "data/aa"}, 1, []string{missing, "store does not exist"}},
		{"missing store, ls", "", []string{"ls", missing}, 1, []string{"store does not exist"}},
		{"destroy a missing store", "", []string{"destroy", "--yes", missing}, 1, []string{missing, "store does not exist"}},
		{"create over a non-empty directory", "", []string{"create", "file://" + filepath.ToSlash(nonEmpty)}, 1, []string{"already exists"}},
		{"destroy not confirmed", "n\n", []string{"destroy", u}, 1, []string{"not confirmed", "--yes"}},
		{"destroy, no answer", "", []string{"destroy", u}, 1, []string{"no answer on stdin"}},
		{"put a missing file", "", []string{"put", u, "data/bb", filepath.Join(dir, "no-such-file")}, 1, []string{"no-such-file", "no such file"}},
		{"get -o into a missing directory", "", []string{"get", "-o", filepath.Join(dir, "no", "dir"), u, "data/aa"}, 1, []string{"writing", "no such file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := kvc(t, c.stdin, nil, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, c.code, r.stderr)
			}
			checkErrorLine(t, r.stderr, c.want...)
		})
	}
	// Nothing was destroyed on the way.
	if got := ok(t, "", "get", u, "data/aa"); got != "v" {
		t.Errorf("the store changed: get = %q", got)
	}
}

// checkErrorLine checks that stderr is one line starting "kvcompose: ",
// with the wanted parts and no Go stack trace.
func checkErrorLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	line, rest, _ := strings.Cut(stderr, "\n")
	if strings.HasPrefix(line, "destroy ") { // the question comes first
		line, rest, _ = strings.Cut(rest, "\n")
	}
	if !strings.HasPrefix(line, "kvcompose: ") || rest != "" {
		t.Errorf("stderr is not one error line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("error %q lacks %q", line, w)
		}
	}
	for _, bad := range []string{"goroutine ", "panic", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr has %q: %q", bad, stderr)
		}
	}
}

// TestNoProgressWithoutTerminal runs work long enough to show a bar (the
// store throttled to 5 ms a call) with stdout and stderr not a terminal:
// the output is the result and nothing else.
func TestNoProgressWithoutTerminal(t *testing.T) {
	slow := []string{"BORGSTORE_LATENCY=5000"}
	u, _ := newStore(t)
	for _, args := range [][]string{
		{"create", "--levels", "data/=1", "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "s"))},
		{"bench", "-n", "20", "--rounds", "1", "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "b"))},
		{"put", u, "data/big"},
		{"get", u, "data/big"},
		{"ls", "-l", u, "data"},
		{"destroy", "--yes", u},
	} {
		r := kvc(t, strings.Repeat("x", 1<<20), slow, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%s: exit %d, stderr %q", args[0], r.code, r.stderr)
		}
		if args[0] == "get" && r.stdout != strings.Repeat("x", 1<<20) {
			t.Errorf("get: %d bytes on stdout, want the 1 MiB stored", len(r.stdout))
		}
		if strings.ContainsAny(r.stdout, "\r\x1b") {
			t.Errorf("%s: stdout has terminal control bytes: %q", args[0], r.stdout[:min(len(r.stdout), 200)])
		}
	}
}
