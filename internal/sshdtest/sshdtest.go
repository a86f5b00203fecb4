// Package sshdtest starts a real OpenSSH sshd on 127.0.0.1 for tests and
// benchmarks, with generated keys and a known_hosts file for it.
package sshdtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Server is a running sshd.
type Server struct {
	Host       string // "127.0.0.1"
	Port       int
	User       string     // the local user, who may log in
	Dir        string     // a temporary directory for the keys, config and sshd.log
	KeyFile    string     // the user's private key (OpenSSH PEM)
	Signer     ssh.Signer // the same key
	HostKey    ssh.PublicKey
	KnownHosts string // a known_hosts file with the server's key
	SSHConfig  string // an ssh_config with Host "kvtest" for this server

	cmd *exec.Cmd
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// sshdPath finds sshd: on PATH or in /usr/sbin.
func sshdPath() (string, error) {
	if p, err := exec.LookPath("sshd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
		return "/usr/sbin/sshd", nil
	}
	return "", fmt.Errorf("sshd not found (install openssh-server; make test does)")
}

// Start starts sshd for the test and stops it when the test ends. Without
// sshd the test is skipped, except in CI (CI=true), where it fails.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := sshdPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true but %v", err)
		}
		tb.Skip(err)
	}
	s, err := start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartDir starts sshd with its files in dir, for programs; call Stop.
func StartDir(dir string) (*Server, error) {
	bin, err := sshdPath()
	if err != nil {
		return nil, err
	}
	return start(bin, dir)
}

func start(bin, dir string) (*Server, error) {
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: u.Username, Dir: dir}
	hostSigner, hostFile, err := writeKey(dir, "host_key")
	if err != nil {
		return nil, err
	}
	s.HostKey = hostSigner.PublicKey()
	if s.Signer, s.KeyFile, err = writeKey(dir, "id_ed25519"); err != nil {
		return nil, err
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(s.Signer.PublicKey()), 0o600); err != nil {
		return nil, err
	}
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey) + "\n"
	if err := os.WriteFile(s.KnownHosts, []byte(line), 0o600); err != nil {
		return nil, err
	}
	s.SSHConfig = filepath.Join(dir, "ssh_config")
	sshConfig := fmt.Sprintf("Host kvtest\n  HostName %s\n  Port %d\n  User %s\n  IdentityFile %s\n", s.Host, s.Port, s.User, s.KeyFile)
	if err := os.WriteFile(s.SSHConfig, []byte(sshConfig), 0o600); err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "sshd_config")
	sshdConfig := strings.Join([]string{
		"Port " + strconv.Itoa(s.Port),
		"ListenAddress " + s.Host,
		"HostKey " + hostFile,
		"AuthorizedKeysFile " + authorized,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"Subsystem sftp internal-sftp",
		"MaxSessions 100",
		"MaxStartups 100",
		"LogLevel ERROR",
	}, "\n") + "\n"
	if err := os.WriteFile(config, []byte(sshdConfig), 0o600); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// The privilege separation directory that Debian's package makes
		// at boot, not at install.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, err
		}
	}
	logFile := filepath.Join(dir, "sshd.log")
	s.cmd = exec.Command(bin, "-D", "-f", config, "-E", logFile)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := s.waitReady(10 * time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("%w; sshd's log:\n%s", err, log)
	}
	return s, nil
}

// waitReady waits until sshd sends its banner.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			banner, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(banner, "SSH-") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd on %s did not answer within %v: %v", s.Addr(), limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops sshd.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// ClientConfig returns an ssh.ClientConfig that logs in with the
// generated key and checks the server's key.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         5 * time.Second,
	}
}

// writeKey generates an ed25519 key and writes it to dir/name.
func writeKey(dir, name string) (ssh.Signer, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, "", err
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, "", err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	return signer, file, err
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
