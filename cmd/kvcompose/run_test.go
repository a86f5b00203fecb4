package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/layers/stats"
)

// runIn runs the command in this process with the given stdin; terminal
// says whether the session takes stdout and stderr for terminals.
func runIn(t *testing.T, stdin string, terminal bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	sess := &session{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	if terminal {
		sess.isTerminal = func(s any) bool { return s == any(&errOut) }
	}
	code = run(context.Background(), args, sess)
	return out.String(), errOut.String(), code
}

// TestProgressOnTerminal runs slow work (5 ms a call) in a session whose
// stderr is a terminal: a bar is drawn there, and erased at the end.
func TestProgressOnTerminal(t *testing.T) {
	t.Setenv("BORGSTORE_LATENCY", "5000")
	stdout, stderr, code := runIn(t, "", true, "bench", "-n", "20", "--rounds", "1", "mem://progress-on-terminal")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "\r") || !strings.Contains(stderr, "bench") {
		t.Errorf("no bar on the terminal: %q", stderr)
	}
	if strings.Contains(stdout, "\r") || !strings.Contains(stdout, "soft delete") {
		t.Errorf("stdout: %q", stdout)
	}
	// -q: no bar.
	_, stderr, code = runIn(t, "", true, "-q", "bench", "-n", "20", "--rounds", "1", "mem://progress-quiet")
	if code != 0 || stderr != "" {
		t.Errorf("bench -q: exit %d, stderr %q", code, stderr)
	}
}

func TestStatsOnExit(t *testing.T) {
	u := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "s"))
	if _, stderr, code := runIn(t, "", false, "create", u); code != 0 {
		t.Fatal(stderr)
	}
	_, stderr, code := runIn(t, "", false, "--stats", "get", u, "data/none")
	if code != 1 {
		t.Errorf("get of a missing item: exit %d", code)
	}
	// The table, then the error line: load counted as a call that failed.
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "op ") || !strings.HasPrefix(lines[len(lines)-1], "kvcompose: ") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	found := false
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "load" {
			// calls, errors, and (when the table has the column) the
			// errors a caller expects, such as not found.
			found = f[1] == "1" && (f[2] == "1" || len(f) > 3 && f[3] == "1")
		}
	}
	if !found {
		t.Errorf("no load row with 1 call, 1 error:\n%s", stderr)
	}
}

func TestParseLevels(t *testing.T) {
	for _, c := range []struct {
		layout string
		specs  []string
		want   map[string][]int
		err    bool
	}{
		{"", nil, nil, false},
		{"", []string{"data/=2"}, map[string][]int{"data/": {2}}, false},
		{"", []string{"data/=1,2", "config/=0"}, map[string][]int{"data/": {1, 2}, "config/": {0}}, false},
		{"", []string{"data=1,2"}, nil, true}, // a namespace ends in /
		{"", []string{"=0"}, map[string][]int{"": {0}}, false},
		{"borg2", []string{"packs/=2"}, map[string][]int{
			"archives/": {0}, "cache/": {0}, "config/": {0}, "index/": {0}, "keys/": {0}, "locks/": {0}, "packs/": {2},
		}, false},
		{"borg3", nil, nil, true},
		{"", []string{"data/"}, nil, true},
		{"", []string{"data/="}, nil, true},
		{"", []string{"data/=x"}, nil, true},
		{"", []string{"data/=-1"}, nil, true},
		{"", []string{"data/=4"}, nil, true},
		{"", []string{"data/=1", "data=2"}, nil, true},
	} {
		got, err := parseLevels(c.layout, c.specs)
		var u *usageError
		if c.err != (err != nil) || err != nil && !errors.As(err, &u) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseLevels(%q, %q) = %v, %v; want %v, error %t", c.layout, c.specs, got, err, c.want, c.err)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err     error
		started bool
		want    int
	}{
		{errors.New("unknown command"), false, exitUsage},
		{usageErrorf("bad flag"), true, exitUsage},
		{fmt.Errorf("x: %w", backendkit.NewError(kv.OpParseURL, "x", kv.ErrInvalidURL, nil)), true, exitUsage},
		{backendkit.NewError(kv.OpLoad, "A", kv.ErrInvalidName, nil), true, exitUsage},
		{backendkit.NewError(kv.OpLoad, "a", kv.ErrNotFound, nil), true, exitFailed},
		{errors.New("disk full"), true, exitFailed},
	} {
		if got := exitCode(c.err, c.started); got != c.want {
			t.Errorf("exitCode(%v, %t) = %d, want %d", c.err, c.started, got, c.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	err := errors.Join(errors.New("load: not found"), errors.New("close: connection lost\n  detail"))
	if got, want := oneLine(err.Error()), "load: not found; close: connection lost; detail"; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}

// Example runs kvcompose as the shell would: create a store, put a value
// from stdin, list, read and hash it.
func Example() {
	dir, err := os.MkdirTemp("", "kvcompose-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	u := "file://" + filepath.ToSlash(filepath.Join(dir, "store"))
	kvcompose := func(stdin string, args ...string) {
		sess := &session{stdin: strings.NewReader(stdin), stdout: os.Stdout, stderr: io.Discard}
		if code := run(context.Background(), args, sess); code != 0 {
			fmt.Println("exit status", code)
		}
	}
	kvcompose("", "create", "--levels", "data/=1", u)
	kvcompose("hello\n", "put", u, "config/greeting")
	kvcompose("", "ls", u)
	kvcompose("", "get", u, "config/greeting")
	kvcompose("", "hash", "--algorithm", "md5", u, "config/greeting")
	kvcompose("", "get", u, "config/missing")  // fails
	kvcompose("", "get", u, "Config/Greeting") // a usage error: names are lowercase
	// Output:
	// config/
	// data/
	// hello
	// b1946ac92492d2347c6235b4d2611184
	// exit status 1
	// exit status 2
}

// TestAddSnapshots sets every counter field of stats.OpStats to 1 and
// checks that the sum has 2 in each, so a counter added to the stats layer
// is not lost from --stats of a bench that opens several stores.
func TestAddSnapshots(t *testing.T) {
	var one stats.OpStats
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		v.Field(i).SetInt(1)
	}
	a := stats.Snapshot{Ops: map[string]stats.OpStats{"load": one}}
	sum := reflect.ValueOf(addSnapshots(a, a).Ops["load"])
	for i := range sum.NumField() {
		if got := sum.Field(i).Int(); got != 2 {
			t.Errorf("%s: %d, want 2", sum.Type().Field(i).Name, got)
		}
	}
}

// TestByteProgressOnTerminal puts and gets a 6 MiB value on a store slowed
// to 1 s a call, in a session whose stderr is a terminal: the bars count
// bytes against the value's size (bytes, rate, ETA), and the value comes
// back whole on stdout, without a control byte.
func TestByteProgressOnTerminal(t *testing.T) {
	u := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "s"))
	if _, stderr, code := runIn(t, "", false, "create", u); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("BORGSTORE_LATENCY", "1000000")
	value := strings.Repeat("0123456789abcdef", 6<<20/16)
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runIn(t, "", true, "put", u, "data/big", file)
	if code != 0 {
		t.Fatalf("put: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "storing data/big") || !strings.Contains(stderr, "/6.0 MiB") {
		t.Errorf("put: no byte bar for 6 MiB on the terminal: %q", stderr)
	}
	stdout, stderr, code := runIn(t, "", true, "get", u, "data/big")
	if code != 0 {
		t.Fatalf("get: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "loading data/big") || !strings.Contains(stderr, "/6.0 MiB") {
		t.Errorf("get: no byte bar for 6 MiB on the terminal: %q", stderr)
	}
	if stdout != value {
		t.Errorf("get: %d bytes on stdout, want the %d stored", len(stdout), len(value))
	}
}

// TestHelpListsEveryScheme checks that --help shows a URL form of every
// scheme compose.Open knows.
func TestHelpListsEveryScheme(t *testing.T) {
	stdout, stderr, code := runIn(t, "", false, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d: %s", code, stderr)
	}
	for _, scheme := range compose.Schemes() {
		if !strings.Contains(stdout, "\n  "+scheme+":") {
			t.Errorf("--help lacks a %s: URL:\n%s", scheme, stdout)
		}
	}
}
