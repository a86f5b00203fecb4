package sftp

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// errHostKey is the cause of a refused host key.
var errHostKey = errors.New("host key refused")

// errSetup marks a connect error of the local setup (no known_hosts, a key
// that cannot be used): no retry fixes it.
var errSetup = errors.New("ssh setup")

// clientConfig resolves the address to dial and the SSH client
// configuration, as OpenSSH would from the ssh config, the agent, the
// identity files and known_hosts, unless WithClientConfig gave one.
func (d *Driver) clientConfig() (string, *ssh.ClientConfig, error) {
	settings := d.sshSettings()
	get := func(key string) string {
		if settings == nil {
			return ""
		}
		return settings.Get(d.host, key)
	}
	host := get("HostName")
	if host == "" {
		host = d.host
	}
	port := d.port
	if port == "" {
		if port = get("Port"); port == "" {
			port = "22"
		}
	}
	addr := net.JoinHostPort(host, port)
	if d.cfg.client != nil {
		return addr, d.cfg.client, nil
	}
	name := d.user
	if name == "" {
		name = get("User")
	}
	if name == "" {
		u, err := user.Current()
		if err != nil {
			return "", nil, fmt.Errorf("no user in the URL or the ssh config, and no local user: %w", err)
		}
		name = u.Username
	}
	hostKeys, err := d.hostKeyCallback()
	if err != nil {
		return "", nil, err
	}
	var files []string
	if settings != nil {
		files = settings.GetAll(d.host, "IdentityFile")
	}
	auth, err := authMethods(files)
	if err != nil {
		return "", nil, err
	}
	return addr, &ssh.ClientConfig{
		User:              name,
		Auth:              auth,
		HostKeyCallback:   hostKeys,
		HostKeyAlgorithms: knownAlgorithms(hostKeys, addr),
		Timeout:           d.cfg.timeout,
	}, nil
}

// sshSettings returns the ssh config to read, nil for none: by default
// ~/.ssh/config of the home directory that os.UserHomeDir gives ($HOME),
// the same one known_hosts and the identity files come from.
func (d *Driver) sshSettings() *ssh_config.UserSettings {
	file := d.cfg.sshConfig
	switch file {
	case "":
		file = filepath.Join(home(), ".ssh", "config")
	case "none":
		return nil
	}
	s := &ssh_config.UserSettings{IgnoreErrors: true}
	s.ConfigFinder(func() string { return file })
	return s
}

// hostKeyCallback checks host keys against known_hosts and says clearly
// when a key is unknown or has changed.
func (d *Driver) hostKeyCallback() (ssh.HostKeyCallback, error) {
	file := d.cfg.knownHosts
	if file == "" {
		file = filepath.Join(home(), ".ssh", "known_hosts")
	}
	check, err := knownhosts.New(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: there is no known_hosts file %s to check the server's host key against: connect once with ssh to add the key (after checking its fingerprint), or name another file with sftp.WithKnownHosts", errSetup, file)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: known hosts %s: %w", errSetup, file, err)
	}
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		var kerr *knownhosts.KeyError
		switch {
		case errors.As(err, &kerr) && len(kerr.Want) == 0:
			return fmt.Errorf("%w: %s is an unknown host: its %s key is not in %s (check the fingerprint %s and add it, for example by connecting once with ssh)",
				errHostKey, hostname, key.Type(), file, ssh.FingerprintSHA256(key))
		case errors.As(err, &kerr):
			return fmt.Errorf("%w: the host key of %s has CHANGED: it is not the one in %s line %d; someone may be in the middle, or the server was reinstalled",
				errHostKey, hostname, kerr.Want[0].Filename, kerr.Want[0].Line)
		}
		return err
	}, nil
}

// probeKey is a key no host has, to ask known_hosts which keys it knows.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, _ := ed25519.GenerateKey(nil)
	key, _ := ssh.NewPublicKey(pub)
	return key
})

// knownAlgorithms returns the host key algorithms of the keys known_hosts
// has for addr, so that the server is asked for a key that can be checked;
// nil (the defaults) for an unknown host.
func knownAlgorithms(check ssh.HostKeyCallback, addr string) []string {
	var kerr *knownhosts.KeyError
	err := check(knownhosts.Normalize(addr), &net.TCPAddr{}, probeKey())
	if !errors.As(err, &kerr) {
		return nil
	}
	var algs []string
	for _, k := range kerr.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algs = append(algs, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algs = append(algs, t)
		}
	}
	return algs
}

// authMethods offers the keys of the ssh agent and of the identity files
// (the OpenSSH defaults when files names none); missing files are skipped.
// A file given in the ssh config that cannot be used (passphrase-protected
// without an agent holding it, unreadable, not a key) is an error, unless
// another key is offered.
func authMethods(files []string) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if c, err := net.Dial("unix", sock); err == nil {
			methods = append(methods, ssh.PublicKeysCallback(agent.NewClient(c).Signers))
		}
	}
	if len(files) == 0 || len(files) == 1 && files[0] == ssh_config.Default("IdentityFile") {
		files = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}
	}
	var (
		signers  []ssh.Signer
		unusable []error
	)
	for _, f := range files {
		if rest, ok := strings.CutPrefix(f, "~/"); ok {
			f = filepath.Join(home(), rest)
		}
		pem, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			var s ssh.Signer
			if s, err = ssh.ParsePrivateKey(pem); err == nil {
				signers = append(signers, s)
				continue
			}
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				err = errors.New("it is protected by a passphrase; add it to the ssh agent (ssh-add) first")
			}
		}
		unusable = append(unusable, fmt.Errorf("identity file %s: %w", f, err))
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}
	if len(methods) == 0 && len(unusable) > 0 {
		return nil, fmt.Errorf("%w: no key to log in with: %w", errSetup, errors.Join(unusable...))
	}
	return methods, nil
}

// refused reports whether a connect error is a refusal of the server or of
// the host key check: kv.ErrPermission, which no retry fixes.
func refused(err error) bool {
	return errors.Is(err, errHostKey) || strings.Contains(err.Error(), "unable to authenticate")
}

func home() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "."
	}
	return h
}
