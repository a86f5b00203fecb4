package rclone

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain runs the tests and then fails the run if any rclone process
// that this test process started is still alive.
func TestMain(m *testing.M) {
	code := m.Run()
	if left := rcloneChildren(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: rclone processes outlived the tests: pids %v\n", left)
		for _, pid := range left { // do not leave them behind either
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		code = 1
	}
	os.Exit(code)
}

// rcloneChildren lists the live (not zombie) child processes of this
// process whose command is rclone, from /proc. Elsewhere it finds none.
func rcloneChildren() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(s[close+1:])
		if len(fields) < 2 || fields[0] == "Z" || !strings.HasPrefix(s[open+1:close], "rclone") {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == os.Getpid() {
			pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
			pids = append(pids, pid)
		}
	}
	return pids
}

// requireRclone skips the test when no rclone binary is found, except in
// CI (CI=true), where a missing binary fails the test.
func requireRclone(t testing.TB) {
	t.Helper()
	if _, err := binaryPath(config{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skip(err)
	}
}

// hasMemoryBackend reports whether the installed rclone has the memory
// backend (1.56 and newer); in CI (CI=true) a missing one fails the test.
func hasMemoryBackend(t testing.TB) bool {
	t.Helper()
	ok := memoryBackend()
	if !ok && os.Getenv("CI") == "true" {
		t.Fatal("CI=true but the installed rclone has no memory backend")
	}
	return ok
}

// memoryBackend reports whether "rclone help backends" lists memory.
func memoryBackend() bool {
	bin, err := binaryPath(config{})
	if err != nil {
		return false
	}
	out, err := exec.Command(bin, "help", "backends").Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "memory" {
			return true
		}
	}
	return false
}

// newLocal returns a driver on a :local: remote in a new temporary
// directory, kept alive for the test (one rcd per driver) and shut down at
// its end.
func newLocal(t testing.TB, opts ...Option) *Driver {
	t.Helper()
	requireRclone(t)
	d := New(":local:"+filepath.Join(t.TempDir(), "store"), append([]Option{WithKeepAlive(true)}, opts...)...)
	t.Cleanup(func() { shutdown(t, d) })
	return d
}

// openLocal is newLocal, created and opened.
func openLocal(t testing.TB, opts ...Option) *Driver {
	t.Helper()
	d := newLocal(t, opts...)
	ctx := context.Background()
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// shutdown stops the rcd of d and checks that its process is gone.
func shutdown(t testing.TB, d *Driver) {
	t.Helper()
	s := d.srv.Load()
	if err := d.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if s != nil && !s.exited() {
		t.Errorf("rcd pid %d still running after Shutdown", s.cmd.Process.Pid)
	}
}

// openMemory returns a created and opened driver on a new bucket of the
// :memory: remote; its rcd lives until the end of the test.
func openMemory(t testing.TB) *Driver {
	t.Helper()
	requireRclone(t)
	d := New(":memory:"+randomToken()[:10], WithKeepAlive(true))
	t.Cleanup(func() { shutdown(t, d) })
	ctx := context.Background()
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}
