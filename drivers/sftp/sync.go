package sftp

import (
	"errors"
	"fmt"
	"path"

	pkgsftp "github.com/pkg/sftp"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// extFsync is the OpenSSH extension that syncs an open file on the server.
const extFsync = "fsync@openssh.com"

// WithSync makes every Store, Move and Delete durable on the server when it
// returns, as far as SFTP allows (see the package documentation): the
// value is synced with the fsync@openssh.com extension before the rename,
// and each directory whose entries the call changed (or made) is opened
// and synced after it. Open refuses a server that offers no
// fsync@openssh.com or cannot sync a directory, with kv.ErrUnsupported.
// The URL query sync=true turns it on.
func WithSync(on bool) Option { return func(c *config) { c.sync = on } }

// checkSync makes sure, when sync is on, that the server can sync files
// and directories: it offers fsync@openssh.com, and syncs the base
// directory when asked.
func (d *Driver) checkSync(c *client, op kv.Op) error {
	if !d.cfg.sync {
		return nil
	}
	if v, ok := c.HasExtension(extFsync); !ok || v != "1" {
		return backendkit.NewError(op, "", kv.ErrUnsupported,
			errors.New("sync asked for, but the server does not offer "+extFsync))
	}
	if err := d.syncDir(c, d.base); err != nil {
		return backendkit.NewError(op, "", kv.ErrUnsupported,
			fmt.Errorf("sync asked for, but the server cannot sync a directory: %w", err))
	}
	return nil
}

// syncDir syncs the remote directory dir: SFTP has no call for it, but
// OpenSSH's server opens a directory as a file and fsyncs it.
func (d *Driver) syncDir(c *client, dir string) error {
	f, err := c.Open(dir)
	if err != nil {
		return err
	}
	err = d.syncFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncFile syncs the open remote file f with fsync@openssh.com.
func (d *Driver) syncFile(f *pkgsftp.File) error {
	d.syncs.Add(1)
	return f.Sync()
}

// syncDirs syncs the directories dirs, when sync is on.
func (d *Driver) syncDirs(c *client, dirs ...string) error {
	if !d.cfg.sync {
		return nil
	}
	for i, dir := range dirs {
		if i > 0 && dir == dirs[i-1] {
			continue
		}
		if err := d.syncDir(c, dir); err != nil {
			return fmt.Errorf("sync %s: %w", dir, err)
		}
	}
	return nil
}

// mkdirAll makes the remote directory dir and its missing parents; when
// sync is on, it then syncs every directory from the parent of dir up to
// the base, so that the new entries are durable.
func (d *Driver) mkdirAll(c *client, dir string) error {
	if err := c.MkdirAll(dir); err != nil || !d.cfg.sync {
		return err
	}
	for p := dir; p != d.base && p != "." && p != "/"; {
		p = path.Dir(p)
		if err := d.syncDirs(c, p); err != nil {
			return err
		}
		if p == d.base {
			break
		}
	}
	return nil
}
