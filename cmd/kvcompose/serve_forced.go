package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kvcompose/compose/internal/shellwords"
)

// errNotAllowed is why a repository path is refused.
var errNotAllowed = errors.New("repository path not allowed")

// clientFlags are the options with a value a client may choose in its own command under a
// forced command (SSH_ORIGINAL_COMMAND), as `borg serve` takes only its log
// options from the client: the store, the mode, the log level. Everything
// that grants or bounds (permissions, restrictions, quota, limits,
// credentials, where to listen) comes from the forced command alone.
var clientFlags = map[string]bool{"--backend": true}

// clientSwitches are the switches a client may give (log options, and
// the mode that the forced command fixes anyway).
var clientSwitches = map[string]bool{
	"--rest": true, "--stdio": true,
	"--debug": true, "--info": true, "--warning": true, "--error": true, "--critical": true,
	"--verbose": true, "-v": true, "--log-json": true,
}

// borgIgnored are options of `borg serve` that a Borg client may send and
// that mean nothing here: skipped with their value, as borg skips what is
// not in its allowlist.
var borgIgnored = map[string]bool{"--umask": true, "--lock-wait": true, "--debug-topic": true}

// clientCommand is what a client asked for in SSH_ORIGINAL_COMMAND.
type clientCommand struct {
	backend  string
	switches []string // log switches, in order
}

// parseClientCommand reads the command a client sent over ssh, as sshd
// passes it in SSH_ORIGINAL_COMMAND: leading VAR=value words are dropped
// (never interpreted), the program is any name, followed by `serve` (for
// `kvcompose serve`, `borg serve`), or is borgstore-server-rest itself.
// Only --backend, --rest/--stdio and log options are accepted; an option
// that grants or bounds is refused by name.
func parseClientCommand(cmdline string) (clientCommand, error) {
	var c clientCommand
	words, err := shellwords.Split(cmdline)
	if err != nil {
		return c, fmt.Errorf("serve: the client's command %q: %w", cmdline, err)
	}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		words = words[1:]
	}
	switch {
	case len(words) >= 2 && words[1] == "serve":
		words = words[2:]
	case len(words) >= 1 && strings.HasPrefix(path.Base(words[0]), "borgstore-server-rest"):
		words = words[1:]
	default:
		return c, fmt.Errorf("serve: this key may only serve a store; the client asked for %q", cmdline)
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		switch {
		case clientSwitches[w]:
			c.switches = append(c.switches, w)
		case clientFlags[name] || borgIgnored[name]:
			if !hasValue {
				if i+1 >= len(words) {
					return c, fmt.Errorf("serve: the client's %s has no value", name)
				}
				i++
				value = words[i]
			}
			if name == "--backend" {
				c.backend = value
			}
		default:
			return c, fmt.Errorf("serve: the client may not choose %s: a forced command (SSH_ORIGINAL_COMMAND) takes only --backend and log options from the client", name)
		}
	}
	if c.backend == "" {
		return c, errors.New("serve: the client's command names no --backend")
	}
	return c, nil
}

// applyForced takes the client's part of cmdline into f, whose values
// come from the forced command: the backend (which must be a local path,
// and the forced command's own --backend when it has one) and the log
// switches.
func applyForced(f *serveFlags, cmdline string) error {
	c, err := parseClientCommand(cmdline)
	if err != nil {
		return err
	}
	if _, err := localPath(c.backend); err != nil {
		return fmt.Errorf("serve: the client's --backend %q: %w", c.backend, err)
	}
	if f.backend != "" {
		forced, err := localPath(f.backend)
		if err != nil {
			return fmt.Errorf("serve: the forced --backend %q: %w", f.backend, err)
		}
		f.restrictRepo = append(f.restrictRepo, forced)
	}
	f.backend = c.backend
	f.debug, f.logLevel, f.logJSON = false, "", false
	for _, s := range c.switches {
		f.switchLog(s)
	}
	return nil
}

// localPath returns the path, not cleaned (a ".." is resolved on the file
// system later), of a backend that names a local directory: FILE:PATH
// (PATH may start with ~ or ~user) or file:///PATH.
func localPath(backend string) (string, error) {
	if p, ok := strings.CutPrefix(backend, "FILE:"); ok {
		if p == "" {
			return "", errors.New("FILE: without a path")
		}
		rest, ok := strings.CutPrefix(p, "~")
		if !ok {
			return p, nil
		}
		name, tail, _ := strings.Cut(rest, "/")
		home, err := homeDir(name)
		if err != nil {
			return "", err
		}
		return home + "/" + tail, nil
	}
	u, err := url.Parse(backend)
	if err != nil || u.Scheme != "file" || u.Host != "" && u.Host != "localhost" || u.Path == "" {
		return "", fmt.Errorf("%w: only a local path (FILE:PATH or file:///PATH) can be checked against the restrictions", errNotAllowed)
	}
	return filepath.FromSlash(u.Path), nil
}

// checkRestrictions checks the backend in f against --restrict-to-path
// (the path or anything under it) and --restrict-to-repository (exactly
// that path), both with symlinks and ".." resolved on the file system as
// the store would meet them; when both are given, the path must satisfy
// both, as in borg. On success f.backend names the resolved path, so that
// the store served is the one checked.
func checkRestrictions(f *serveFlags) error {
	if len(f.restrictPath) == 0 && len(f.restrictRepo) == 0 {
		return nil
	}
	p, err := localPath(f.backend)
	if err != nil {
		return fmt.Errorf("serve: --backend %q: %w", f.backend, err)
	}
	real, err := resolvePath(p)
	if err != nil {
		return fmt.Errorf("serve: --backend %q: %w", f.backend, err)
	}
	match := func(list []string, exact bool) (bool, error) {
		for _, r := range list {
			rr, err := resolvePath(r)
			if err != nil {
				return false, fmt.Errorf("serve: restriction %q: %w", r, err)
			}
			if real == rr || !exact && (rr == "/" || strings.HasPrefix(real, rr+"/")) {
				return true, nil
			}
		}
		return len(list) == 0, nil
	}
	for _, c := range []struct {
		list  []string
		exact bool
		flag  string
	}{{f.restrictPath, false, "--restrict-to-path"}, {f.restrictRepo, true, "--restrict-to-repository"}} {
		ok, err := match(c.list, c.exact)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("serve: %w: %s resolves to %s, outside %s %s", errNotAllowed, f.backend, real,
				c.flag, strings.Join(c.list, ", "))
		}
	}
	f.backend = "FILE:" + real
	return nil
}

// maxSymlinks bounds the symlinks resolvePath follows (a loop ends there).
const maxSymlinks = 40

// resolvePath returns the physical absolute path of p, as the kernel
// would walk it: symlinks followed, ".." taken after the symlink before
// it is resolved, as far as the path exists; what does not exist yet (a
// repository to create) is kept as written, still walked component by
// component (so a ".." there that leads back into an existing directory
// resolves its symlinks too).
func resolvePath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + "/" + p
	}
	todo := strings.Split(filepath.ToSlash(p), "/")
	real, links := "/", 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			real = filepath.Dir(real)
			continue
		}
		next := filepath.Join(real, c)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			real = next
			continue
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink == 0:
			real = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", fmt.Errorf("%s: too many symlinks", p)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			real = "/"
		}
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
	}
	return real, nil
}
