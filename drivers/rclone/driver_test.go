package rclone

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestFromURL(t *testing.T) {
	cases := []struct {
		url, remote string
		ok          bool
	}{
		{"rclone::local:/tmp/x", ":local:/tmp/x", true},
		{"rclone:mys3:bucket/path", "mys3:bucket/path", true},
		{"rclone::memory:", ":memory:", true},
		{"RCLONE:remote:", "remote:", true},
		{"rclone:/abs/local/path", "/abs/local/path", true},
		{"rclone:", "", false},
		{"rclone", "", false},
		{"file:///tmp/x", "", false},
		{"rclone:a\nb:", "", false},
	}
	for _, c := range cases {
		d, err := FromURL(c.url)
		switch {
		case c.ok && err != nil:
			t.Errorf("FromURL(%q): %v", c.url, err)
		case c.ok && d.Remote() != c.remote:
			t.Errorf("FromURL(%q).Remote() = %q, want %q", c.url, d.Remote(), c.remote)
		case !c.ok && !errors.Is(err, kv.ErrInvalidURL):
			t.Errorf("FromURL(%q) = %v, want ErrInvalidURL", c.url, err)
		}
	}
}

func TestVersion(t *testing.T) {
	cases := []struct {
		v       string
		tooOld  bool
		invalid bool
	}{
		{"v1.60.1-DEV", false, false},
		{"v1.57.0", false, false},
		{"v1.56.2", true, false},
		{"v1.61.0-beta.6512.abc", false, false},
		{"v2.0.0", false, false},
		{"v0.99.9", true, false},
		{"1.2", false, true},
		{"vx.y.z", false, true},
	}
	for _, c := range cases {
		err := checkMinVersion(c.v)
		if got := errors.Is(err, errTooOld); got != c.tooOld || (err != nil) != (c.tooOld || c.invalid) {
			t.Errorf("checkMinVersion(%q) = %v", c.v, err)
		}
	}
}

// TestMissingBinary: a binary that does not exist is a clear error at
// Open, Create and Destroy, from the option and from $RCLONE_BINARY.
func TestMissingBinary(t *testing.T) {
	ctx := context.Background()
	dir := ":local:" + t.TempDir()
	t.Setenv("RCLONE_BINARY", "/nonexistent/rclone-from-env")
	for _, d := range []*Driver{New(dir, WithBinary("/nonexistent/rclone")), New(dir)} {
		for op, f := range map[string]func(context.Context) error{"open": d.Open, "create": d.Create, "destroy": d.Destroy} {
			err := f(ctx)
			if !errors.Is(err, exec.ErrNotFound) && !strings.Contains(err.Error(), "no such file") ||
				!strings.Contains(err.Error(), "rclone binary") || !strings.Contains(err.Error(), "/nonexistent/rclone") {
				t.Errorf("%s with a missing binary: %v", op, err)
			}
		}
	}
}

// TestUnknownRemote: a remote that rclone's config does not have is an
// error that names it, not a connection failure.
func TestUnknownRemote(t *testing.T) {
	requireRclone(t)
	t.Setenv("RCLONE_CONFIG", filepath.Join(t.TempDir(), "rclone.conf"))
	d := New("nosuch-remote:path")
	for op, f := range map[string]func(context.Context) error{"open": d.Open, "create": d.Create, "destroy": d.Destroy} {
		err := f(t.Context())
		if err == nil || errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), `unknown rclone remote "nosuch-remote"`) {
			t.Errorf("%s of an unknown remote: %v, want an error naming it", op, err)
		}
	}
}

// TestProcessLifecycle: without keep-alive, Close stops the rcd and its
// pid is gone; an Open that fails (missing store) leaves no process.
func TestProcessLifecycle(t *testing.T) {
	requireRclone(t)
	ctx := context.Background()
	d := New(":local:" + filepath.Join(t.TempDir(), "s"))
	if err := d.Open(ctx); !errors.Is(err, kv.ErrNoStore) {
		t.Fatalf("Open of a missing store = %v, want ErrNoStore", err)
	}
	if d.srv.Load() != nil {
		t.Fatal("failed Open left an rcd behind")
	}
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if d.srv.Load() != nil {
		t.Fatal("Create left an rcd behind")
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	pid := d.srv.Load().cmd.Process.Pid
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) {
		t.Errorf("rcd pid %d still there after Close", pid)
	}
	if err := d.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Destroy(ctx); !errors.Is(err, kv.ErrNoStore) {
		t.Errorf("second Destroy = %v, want ErrNoStore", err)
	}
	if d.srv.Load() != nil {
		t.Error("Destroy left an rcd behind")
	}
}

// TestKilledRcd: killing the rcd mid-use makes the next call a clear
// ErrConnection error; Close and Open again give a working store.
func TestKilledRcd(t *testing.T) {
	ctx := context.Background()
	d := openLocal(t, WithKeepAlive(false))
	if err := d.Store(ctx, "data/k", []byte("value")); err != nil {
		t.Fatal(err)
	}
	s := d.srv.Load()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	_, err := d.Load(ctx, "data/k")
	if !errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("Load after kill = %v, want ErrConnection saying rcd exited", err)
	}
	if err := d.Store(ctx, "data/k2", []byte("v")); !errors.Is(err, kv.ErrConnection) {
		t.Errorf("Store after kill = %v, want ErrConnection", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := d.Load(ctx, "data/k"); err != nil || string(v) != "value" {
		t.Errorf("Load after reopen = %q, %v", v, err)
	}
}

// TestCancelledContext: every call with a cancelled context fails with
// context.Canceled, and an Open with one leaves no process.
func TestCancelledContext(t *testing.T) {
	d := openLocal(t)
	bg := context.Background()
	if err := d.Store(bg, "data/k", []byte("value")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	calls := map[string]func() error{
		"info":   func() error { _, err := d.Info(ctx, "data/k"); return err },
		"load":   func() error { _, err := d.Load(ctx, "data/k"); return err },
		"range":  func() error { _, err := d.Load(ctx, "data/k", kv.Range(-2, 1)); return err },
		"store":  func() error { return d.Store(ctx, "data/k", []byte("other")) },
		"delete": func() error { return d.Delete(ctx, "data/k") },
		"move":   func() error { return d.Move(ctx, "data/k", "data/m") },
		"mkdir":  func() error { return d.Mkdir(ctx, "x") },
		"quota":  func() error { _, err := d.Quota(ctx); return err },
		"list": func() error {
			for _, err := range d.List(ctx, "data") {
				return err
			}
			return nil
		},
	}
	for op, f := range calls {
		if err := f(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v", op, err)
		}
	}
	if v, err := d.Load(bg, "data/k"); err != nil || string(v) != "value" {
		t.Errorf("value after cancelled calls = %q, %v", v, err)
	}

	d2 := New(d.Remote())
	if err := d2.Open(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v", err)
	}
	if d2.srv.Load() != nil {
		t.Error("cancelled Open left an rcd behind")
	}
}
