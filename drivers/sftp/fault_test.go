package sftp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/retry"
)

// TestReconnectAfterCut checks that a cut link costs the call one error
// (the retry layer above retries it) and that the next try connects anew.
func TestReconnectAfterCut(t *testing.T) {
	dd, p := viaProxy(t)
	d := kvtest.OpenStore(t, retry.New(dd, retry.Config{}))
	ctx := t.Context()
	if err := d.Store(ctx, "ns/a", []byte("before")); err != nil {
		t.Fatal(err)
	}
	before := p.Accepted()
	p.Cut()
	got, err := d.Load(ctx, "ns/a")
	if err != nil || string(got) != "before" {
		t.Fatalf("load after the link dropped: %q, %v; want a transparent reconnect", got, err)
	}
	if n := p.Accepted() - before; n != 1 {
		t.Errorf("%d new connections, want 1 (one reconnect)", n)
	}
}

func TestCutMidCall(t *testing.T) {
	dd, p := viaProxy(t)
	d := kvtest.OpenStore(t, retry.New(dd, retry.Config{}))
	ctx := t.Context()
	value := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	if err := d.Store(ctx, "ns/large", value); err != nil {
		t.Fatal(err)
	}
	p.Pause(true)
	done := make(chan error, 1)
	var got []byte
	go func() {
		var err error
		got, err = d.Load(ctx, "ns/large")
		done <- err
	}()
	p.WaitHeld(t) // the load is on its way
	p.Cut()
	p.Pause(false)
	if err := <-done; err != nil {
		t.Fatalf("load cut in the middle: %v; want it retried on a new connection", err)
	}
	if !bytes.Equal(got, value) {
		t.Errorf("load cut in the middle: %d bytes, not the value", len(got))
	}
}

func TestCancelStuckCall(t *testing.T) {
	d, p := viaProxy(t)
	kvtest.OpenStore(t, d)
	p.CheckCancelStuckLoad(t, d)
}

func TestDeadLinkTimesOut(t *testing.T) {
	d, p := viaProxy(t, sftp.WithTimeout(time.Second), sftp.WithKeepAlive(200*time.Millisecond), sftp.WithRetries(1))
	ctx := t.Context()
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	p.Pause(true) // the link hangs and never recovers
	defer p.Pause(false)
	_, err := d.Load(ctx, "ns/missing")
	if !errors.Is(err, kv.ErrConnection) {
		t.Fatalf("load over a dead link: %v, want kv.ErrConnection", err)
	}
}

// TestOneTry checks that the driver alone tries a call once: a refused
// connection is one dial and an error wrapping kv.ErrConnection, and the
// next call dials again (the retry layer owns retries).
func TestOneTry(t *testing.T) {
	s := needServer(t)
	p := sshdtest.NewProxy(t, s.Addr())
	addr := p.Addr()
	p.Close() // nobody listens there now
	var dials atomic.Int64
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	d := newDriver(t, sftp.WithDialer(dial))
	for i := range 2 {
		if err := d.Open(t.Context()); !errors.Is(err, kv.ErrConnection) {
			t.Fatalf("open of an unreachable server: %v, want kv.ErrConnection", err)
		}
		if n := dials.Load(); n != int64(i+1) {
			t.Fatalf("%d dials after %d opens, want one per open", n, i+1)
		}
	}
}

func TestUnreachable(t *testing.T) {
	s := needServer(t)
	p := sshdtest.NewProxy(t, s.Addr())
	addr := p.Addr()
	p.Close() // nobody listens there now
	d, err := sftp.FromURL("sftp://"+addr+"/"+filepath.Join(t.TempDir(), "store"),
		sftp.WithSSHConfig("none"), sftp.WithKnownHosts(s.KnownHosts), sftp.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Open(t.Context())
	if !errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("open of an unreachable server: %v, want kv.ErrConnection saying refused", err)
	}
}

func TestHostKeyRefused(t *testing.T) {
	s := needServer(t)
	other := filepath.Join(t.TempDir(), "known_hosts")
	for _, tc := range []struct {
		name, content, want string
	}{
		{"unknown", "", "unknown host"},
		{"changed", "[127.0.0.1]:" + portOf(s) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", "CHANGED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(other, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := sftp.FromURL(storeURL(t), sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(other))
			if err != nil {
				t.Fatal(err)
			}
			err = d.Create(t.Context())
			if !errors.Is(err, kv.ErrPermission) || errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("create with a %s host key: %v, want kv.ErrPermission saying %q", tc.name, err, tc.want)
			}
		})
	}
}

func TestAuthRefused(t *testing.T) {
	s := needServer(t)
	d, err := sftp.FromURL("sftp://nobody-here@kvtest/"+filepath.Join(t.TempDir(), "store"),
		sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(s.KnownHosts))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Open(t.Context())
	if !errors.Is(err, kv.ErrPermission) || errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("open as an unknown user: %v, want kv.ErrPermission saying unable to authenticate", err)
	}
}

// TestSetupErrors: a missing known_hosts file and an identity file that
// cannot be used are errors that say how to fix them, not connection
// failures; and ~/.ssh/config comes from $HOME, as known_hosts does.
func TestSetupErrors(t *testing.T) {
	s := needServer(t)
	t.Run("NoKnownHosts", func(t *testing.T) {
		d, err := sftp.FromURL(storeURL(t), sftp.WithSSHConfig(s.SSHConfig),
			sftp.WithKnownHosts(filepath.Join(t.TempDir(), "missing")))
		if err != nil {
			t.Fatal(err)
		}
		err = d.Open(t.Context())
		if err == nil || errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "no known_hosts file") {
			t.Fatalf("open without known_hosts: %v, want a setup error that says so", err)
		}
	})
	t.Run("EncryptedKey", func(t *testing.T) {
		_, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		key := filepath.Join(dir, "id_locked")
		if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config")
		conf := "Host locked\n  HostName " + s.Host + "\n  Port " + portOf(s) + "\n  IdentityFile " + key + "\n"
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SSH_AUTH_SOCK", "")
		d, err := sftp.FromURL("sftp://locked/"+filepath.Join(t.TempDir(), "store"),
			sftp.WithSSHConfig(cfg), sftp.WithKnownHosts(s.KnownHosts))
		if err != nil {
			t.Fatal(err)
		}
		err = d.Open(t.Context())
		if err == nil || errors.Is(err, kv.ErrConnection) || !strings.Contains(err.Error(), "passphrase") {
			t.Fatalf("open with a passphrase-protected key: %v, want an error naming the passphrase", err)
		}
	})
	t.Run("ConfigFromHOME", func(t *testing.T) {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		cfg, err := os.ReadFile(s.SSHConfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HOME", home)
		d, err := sftp.FromURL("sftp://kvtest/"+filepath.Join(t.TempDir(), "store"), sftp.WithKnownHosts(s.KnownHosts))
		if err != nil {
			t.Fatal(err)
		}
		kvtest.OpenStore(t, d) // the alias kvtest resolves through $HOME/.ssh/config
	})
}

func portOf(s *sshdtest.Server) string { return strings.TrimPrefix(s.Addr(), s.Host+":") }
