//go:build unix

package rest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/internal/tcpproxy"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/retry"
)

// lossyProxy forwards connections to a server; when drop is set, it
// drops the next answer of the server and closes that connection, as a
// link that breaks after the server acted does.
type lossyProxy struct {
	*tcpproxy.Proxy
	drop atomic.Bool
}

// newLossyProxy starts a lossyProxy to the server at addr ("127.0.0.1:port").
func newLossyProxy(t *testing.T, addr string) *lossyProxy {
	p := &lossyProxy{}
	proxy, err := tcpproxy.New(addr, func(dst, src net.Conn) {
		if src.RemoteAddr().String() != addr { // requests: as they are
			io.Copy(dst, src)
			return
		}
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 && p.drop.CompareAndSwap(true, false) {
				return // the server has acted; its answer is lost
			}
			if n > 0 {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	p.Proxy = proxy
	return p
}

// TestLostAnswers drops the answer to a delete and to a move after the
// server did them: the driver reports kv.ErrConnection once, and the
// retry layer above it finds the item gone and counts it as done.
func TestLostAnswers(t *testing.T) {
	s := startServer(t, false)
	p := newLossyProxy(t, strings.TrimSuffix(strings.TrimPrefix(s.url, "http://"), "/"))
	drv, err := rest.FromURL("http://" + p.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	d := kvtest.OpenStore(t, retry.New(drv, retry.Config{InitialBackoff: time.Millisecond}))
	ctx := context.Background()
	for _, name := range []string{"a/one", "a/two"} {
		if err := d.Store(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	p.drop.Store(true)
	if err := d.Delete(ctx, "a/one"); err != nil {
		t.Errorf("delete whose answer was lost: %v", err)
	}
	p.drop.Store(true)
	if err := d.Move(ctx, "a/two", "a/three"); err != nil {
		t.Errorf("move whose answer was lost: %v", err)
	}
	p.drop.Store(true)
	if err := d.Store(ctx, "a/four", []byte("4")); err != nil {
		t.Errorf("store whose answer was lost: %v", err)
	}
	if p.drop.Load() {
		t.Error("no answer was dropped")
	}
	if err := d.Delete(ctx, "a/one"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("a first delete of a missing item: %v, want kv.ErrNotFound", err)
	}
	for name, want := range map[string]bool{"a/one": false, "a/two": false, "a/three": true, "a/four": true} {
		info, err := d.Info(ctx, name)
		if err != nil || info.Exists != want {
			t.Errorf("info %s: %+v, %v; want Exists %v", name, info, err, want)
		}
	}
}

// TestStdioBrokenPipe kills the server process behind an open store: the
// next call starts a new process (or finds the pipe broken, and its retry
// does) and succeeds.
func TestStdioBrokenPipe(t *testing.T) {
	bin := needBinary(t)
	tmp := t.TempDir()
	pidFile := filepath.Join(tmp, "pid")
	server := `sh -c 'echo $$ > ` + pidFile + `; exec ` + bin + ` serve "$@"' sh`
	drv, err := rest.FromURL("rest:///"+filepath.Join(tmp, "store"), rest.WithServerCommand(server))
	if err != nil {
		t.Fatal(err)
	}
	d := kvtest.OpenStore(t, retry.New(drv, retry.Config{InitialBackoff: time.Millisecond}))
	ctx := context.Background()
	if err := d.Store(ctx, "a/b", []byte("before")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "a/c", []byte("after")); err != nil {
		t.Fatalf("store after the server was killed: %v", err)
	}
	if got, err := d.Load(ctx, "a/b"); err != nil || string(got) != "before" {
		t.Errorf("load: %q, %v", got, err)
	}
}

// TestSocketActivation passes a listening socket on fd 3 to
// `kvcompose serve --socket-activation`, as systemd does.
func TestSocketActivation(t *testing.T) {
	bin := needBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--socket-activation", "--backend", "FILE:"+filepath.Join(t.TempDir(), "store"))
	cmd.ExtraFiles = []*os.File{f}
	cmd.Env = append(cmd.Environ(), "LISTEN_FDS=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(interrupt)
		cmd.Wait()
	})
	f.Close()
	addr := ln.Addr().String()
	ln.Close()
	d, err := rest.FromURL("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	kvtest.OpenStore(t, d)
	if err := d.Store(context.Background(), "x/y", []byte("z")); err != nil {
		t.Fatal(err)
	}
}
