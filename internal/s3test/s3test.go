// Package s3test starts a real S3 server, versitygw over a temporary
// directory, on 127.0.0.1 for tests and benchmarks, and gives each test a
// bucket of its own.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The credentials of the root account of every server this package starts.
// The secret holds characters that a URL must percent-encode.
const (
	AccessKey = "kvtest-root"
	SecretKey = "kvtest/secret+key@="
)

// Version is the versitygw release the tests are written against:
// go install github.com/versity/versitygw/cmd/versitygw@VERSION.
const Version = "v1.8.0"

// Server is a running versitygw.
type Server struct {
	Host string // "127.0.0.1"
	Port int
	Dir  string // the directory it serves: one subdirectory per bucket

	bin    string
	log    string // versitygw's output
	client *minio.Client

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Binary finds versitygw: $VERSITYGW, then PATH, then $GOPATH/bin, where
// go install puts it.
func Binary() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("VERSITYGW: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw not found (go install github.com/versity/versitygw/cmd/versitygw@%s; make test does)", Version)
}

// Start starts a server of the test's own, stopped when the test ends.
// Without versitygw the test is skipped, except in CI (CI=true), where it
// fails.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	s, err := start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// binary returns versitygw's path, or skips (fails in CI) the test.
func binary(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true but %v", err)
		}
		tb.Skip(err)
	}
	return bin
}

// shared is the server of Shared.
var shared struct {
	sync.Mutex
	s   *Server
	err error
	dir string
}

// Shared returns the server shared by the tests of a package, started on
// first use; call StopShared from TestMain after m.Run. Without versitygw
// the test is skipped, except in CI (CI=true), where it fails.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	shared.Lock()
	defer shared.Unlock()
	if shared.s == nil && shared.err == nil {
		shared.dir, shared.err = os.MkdirTemp("", "s3test-")
		if shared.err == nil {
			shared.s, shared.err = start(bin, shared.dir)
		}
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.s
}

// StopShared stops the shared server, if one was started, and removes its
// directory.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil {
		shared.s.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.s, shared.err, shared.dir = nil, nil, ""
}

func start(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Port: port, Dir: filepath.Join(dir, "data"), bin: bin, log: filepath.Join(dir, "versitygw.log")}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	s.client, err = minio.New(s.Addr(), &minio.Options{
		Creds:  credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		return nil, err
	}
	if err := s.Restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Endpoint returns "http://127.0.0.1:port".
func (s *Server) Endpoint() string { return "http://" + s.Addr() }

// Client returns a minio-go client of the root account.
func (s *Server) Client() *minio.Client { return s.client }

// Restart starts the server again after Stop, on the same port and
// directory; it returns when the server answers.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("s3test: the server is running")
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, "--port", s.Addr(), "--quiet", "--keep-alive", "posix", s.Dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.cmd = cmd
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		out, _ := os.ReadFile(s.log)
		return fmt.Errorf("%w; versitygw's output:\n%s", err, out)
	}
	return nil
}

// waitReady waits until the server answers HTTP (any status will do).
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(s.Endpoint() + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw on %s did not answer within %v: %v", s.Addr(), limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server; Restart starts it again.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
}

func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// NewBucket makes a bucket with a new name and removes it, with what is
// left in it, when the test ends.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "kvtest-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		tb.Fatalf("make bucket %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// The server may be stopped by now (fault tests); its directory
		// goes with the test's.
		if err := os.RemoveAll(filepath.Join(s.Dir, name)); err != nil {
			tb.Logf("remove bucket %s: %v", name, err)
		}
	})
	return name
}

// URL returns the s3: URL of the store at path in bucket, with the root
// account's credentials percent-encoded in it.
func (s *Server) URL(bucket, path string) string { return s.URLVia(s.Addr(), bucket, path) }

// URLVia is URL with the endpoint at addr (host:port), a proxy to the
// server, for example.
func (s *Server) URLVia(addr, bucket, path string) string {
	return "s3:" + escapeAll(AccessKey) + ":" + escapeAll(SecretKey) + "@http://" + addr + "/" + bucket + "/" + path
}

// escapeAll percent-encodes every byte that is not a letter, digit, '-',
// '_', '.' or '~'.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
