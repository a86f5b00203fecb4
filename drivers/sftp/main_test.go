package sftp_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/sshdtest"
)

// server is the sshd of the package's tests, nil when there is none (then
// the tests skip, except in CI).
var server *sshdtest.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server, err = sshdtest.StartDir(dir)
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "CI=true but no sshd:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "no sshd, the sftp tests skip:", err)
		server = nil
	}
	code := m.Run()
	if server != nil {
		server.Stop()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needServer skips the test without an sshd.
func needServer(t testing.TB) *sshdtest.Server {
	t.Helper()
	if server == nil {
		t.Skip("no sshd")
	}
	return server
}

// storeURL returns the URL of a new store in a temporary directory, on the
// host alias "kvtest" of the server's ssh config.
func storeURL(t testing.TB) string {
	return "sftp://kvtest/" + filepath.Join(t.TempDir(), "store")
}

// newDriver returns a closed driver on a new store of the test server, as
// a user configures it: through the ssh config and known_hosts.
func newDriver(t testing.TB, opts ...sftp.Option) *sftp.Driver {
	t.Helper()
	s := needServer(t)
	opts = append([]sftp.Option{sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(s.KnownHosts)}, opts...)
	d, err := sftp.FromURL(storeURL(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// viaProxy returns a driver whose connections go through a new proxy to
// the test server.
func viaProxy(t *testing.T, opts ...sftp.Option) (*sftp.Driver, *sshdtest.Proxy) {
	t.Helper()
	s := needServer(t)
	p := sshdtest.NewProxy(t, s.Addr())
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, p.Addr())
	}
	return newDriver(t, append([]sftp.Option{sftp.WithDialer(dial)}, opts...)...), p
}
