package rest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/restserver"
)

// kvcomposeBin is the kvcompose command built for the stdio tests, "" when
// it could not be built (buildErr says why).
var (
	kvcomposeBin string
	buildErr     error
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(hostileEnv); mode != "" {
		runHostileStdio(mode)
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "kvcompose-rest-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kvcomposeBin, buildErr = buildKvcompose(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildKvcompose builds cmd/kvcompose into dir.
func buildKvcompose(dir string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "kvcompose")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kvcompose")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/kvcompose: %v\n%s", err, out)
	}
	return bin, nil
}

// needBinary returns the kvcompose binary, failing the test if it could
// not be built.
func needBinary(tb testing.TB) string {
	tb.Helper()
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return kvcomposeBin
}

// server is a restserver over posixfs on a free port of 127.0.0.1.
type server struct {
	url   string // http(s)://127.0.0.1:PORT/
	store string // the posixfs directory
	tls   *tls.Config
}

// startServer serves a fresh posixfs store (not created yet) until the
// test ends; with certs it speaks HTTPS.
func startServer(tb testing.TB, secure bool, opts ...restserver.Option) *server {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "store")
	drv, err := posixfs.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &server{url: "http://" + ln.Addr().String() + "/", store: dir}
	var cert, key string
	if secure {
		cert, key, s.tls = selfSigned(tb)
		s.url = "https://" + ln.Addr().String() + "/"
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- restserver.Serve(ctx, ln, restserver.New(drv, opts...), cert, key) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return s
}

// client returns a driver for s.
func (s *server) client(tb testing.TB, opts ...rest.Option) *rest.Driver {
	tb.Helper()
	if s.tls != nil {
		opts = append(opts, rest.WithTLSConfig(s.tls))
	}
	d, err := rest.FromURL(s.url, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their files and a client configuration that trusts it.
func selfSigned(tb testing.TB) (cert, key string, cfg *tls.Config) {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kvcompose test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		tb.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return cert, key, &tls.Config{RootCAs: pool}
}

// stdioClient returns a driver for a fresh store at dir/store served by
// `kvcompose serve --stdio`, started locally by the rest:///PATH form.
func stdioClient(tb testing.TB, opts ...rest.Option) *rest.Driver {
	tb.Helper()
	bin := needBinary(tb)
	dir := filepath.Join(tb.TempDir(), "store")
	d, err := rest.FromURL("rest:///"+dir, append([]rest.Option{rest.WithServerCommand(bin + " serve")}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
