package rest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/restserver"
)

func TestConformanceHTTP(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return startServer(t, false).client(t)
	})
}

func TestConformanceHTTPWithCredentials(t *testing.T) {
	t.Setenv("BORGSTORE_REST_USERNAME", "borg")
	t.Setenv("BORGSTORE_REST_PASSWORD", "s3cret")
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return startServer(t, false, restserver.WithCredentials("borg", "s3cret")).client(t)
	})
}

func TestConformanceHTTPS(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return startServer(t, true).client(t)
	})
}

func TestConformanceStdio(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return stdioClient(t) })
}

// TestServeProcess runs `kvcompose serve` as a process on a free port and
// the conformance suite against it, one process per store.
func TestServeProcess(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return serveProcess(t, filepath.Join(t.TempDir(), "store"))
	})
}

// serveProcess runs `kvcompose serve` with credentials over the posixfs
// store dir and the extra flags until the test ends, and returns a client.
func serveProcess(t *testing.T, dir string, flags ...string) *rest.Driver {
	t.Helper()
	bin := needBinary(t)
	listening := regexp.MustCompile(`url=(http://[0-9.:]+/)`)
	cmd := exec.Command(bin, append([]string{"serve", "--port", "0", "--backend", "FILE:" + dir}, flags...)...)
	cmd.Env = append(cmd.Environ(), "KVCOMPOSE_REST_USERNAME=u", "KVCOMPOSE_REST_PASSWORD=p")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(interrupt)
		cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	var url string
	for url == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("kvcompose serve did not say where it listens")
	}
	go io.Copy(io.Discard, stderr)
	d, err := rest.FromURL("http://u:p@" + url[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestStdioRestart kills the server process under an open store: the next
// call starts a new one and succeeds.
func TestStdioRestart(t *testing.T) {
	d := kvtest.OpenStore(t, stdioClient(t))
	ctx := context.Background()
	if err := d.Store(ctx, "a/b", []byte("one")); err != nil {
		t.Fatal(err)
	}
	// An ended context kills the process (a pipe read cannot be
	// interrupted otherwise).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Load(cctx, "a/b"); !errors.Is(err, context.Canceled) {
		t.Fatalf("load with a cancelled context: %v", err)
	}
	got, err := d.Load(ctx, "a/b")
	if err != nil || string(got) != "one" {
		t.Fatalf("load after the restart: %q, %v", got, err)
	}
}

// TestDeadServer checks that a call to a server that is gone fails with
// kv.ErrConnection.
func TestDeadServer(t *testing.T) {
	s := startServer(t, false)
	d := kvtest.OpenStore(t, s.client(t))
	bad, err := rest.FromURL("http://127.0.0.1:1/")
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Open(context.Background())
	if !errors.Is(err, kv.ErrConnection) {
		t.Errorf("open on a closed port: %v, want kv.ErrConnection", err)
	}
	if err := d.Store(context.Background(), "x/y", []byte("v")); err != nil {
		t.Fatal(err)
	}
}

// TestLayout checks that a store records its nesting levels and that one in
// Borg 2's shape opens without them.
func TestLayout(t *testing.T) {
	kvtest.TestLayout(t, func(t *testing.T) kv.Backend { return startServer(t, false).client(t) }, func(drv kv.Backend, levels map[string][]int) (kv.Backend, error) {
		return nesting.New(drv, levels)
	})
}
