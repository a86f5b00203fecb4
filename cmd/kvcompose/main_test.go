package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin is the kvcompose binary that TestMain builds; the tests run it as a
// user would.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kvcompose-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "kvcompose")
	// Without -race even under go test -race: a race-instrumented binary
	// takes a large part of a second to start, and the in-process tests
	// (run with buffers) put the command's code under the race detector.
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building kvcompose: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary gave.
type result struct {
	stdout, stderr string
	code           int
}

// kvc runs the binary with args and stdin, with no throttle from the
// environment unless env sets one.
func kvc(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BORGSTORE_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("kvcompose %s: %v", strings.Join(args, " "), err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// ok runs the binary and fails the test unless it succeeds with nothing on
// stderr; it returns stdout.
func ok(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := kvc(t, stdin, nil, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("kvcompose %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// newStore creates a store in a new directory with the global flags given
// and returns its URL and directory.
func newStore(t *testing.T, flags ...string) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	u := "file://" + filepath.ToSlash(dir)
	ok(t, "", append([]string{"create", u}, flags...)...)
	return u, dir
}
