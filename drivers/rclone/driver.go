// Package rclone is a kvcompose driver that keeps items on any remote rclone
// reaches (S3, B2, Google Drive, WebDAV, local disk, ...) through a child
// "rclone rcd" process and its remote-control HTTP API.
//
// The URL form is rclone:remote:path; everything after "rclone:" is passed
// to rclone as it is, so rclone::local:/tmp/x, rclone:mys3:bucket/path and
// rclone::memory:bucket all work.
//
// Open starts "rclone rcd" listening on 127.0.0.1 on a free port, with a
// random user and password passed through the environment (never on the
// command line), and Close stops it (SIGTERM, then SIGKILL after a grace
// period): no rcd outlives Close unless the caller asks for it. Create and
// Destroy start a temporary rcd of their own. With WithKeepAlive the rcd
// outlives Close and Create until Destroy or Shutdown; in-process remotes
// such as :memory: need that, since their content lives inside the rcd.
//
// On remotes without real directories (object stores, :memory:) a
// directory is the prefix of the items below it. Mkdir keeps an empty one
// alive with a hidden marker item (".dir.hid", never listed), Rmdir removes
// the marker, and List of a prefix with nothing below it is kv.ErrNotFound,
// so that these remotes follow docs/semantics.md too.
//
// Streams: LoadStream is Load's GET from rcd's --rc-serve (with a Range
// header), whose body is the stream; the driver buffers none of it.
// StoreStream is Store's operations/uploadfile with the stream as the
// file of the multipart body, read as the request goes out (chunked when
// the size is unknown), to a temporary that then replaces the item, as
// Store does. A stream that fails or lies about its size cuts the request
// off before the end of the body, so rcd stores nothing (its local
// backend deletes a partly written file) and the driver removes the
// temporary; such an upload is not retried.
//
// Replacing an existing item: rclone (1.60 at least, on remotes with
// directories) deletes the old file and then moves the new one in. The
// driver holds a per-name lock around that and around its own reads, so
// its readers see the old value or the new one; another process reading
// the same remote can find the item missing for that moment.
//
// Importing the package registers the scheme rclone for compose.Open:
//
//	import _ "github.com/kvcompose/compose/drivers/rclone"
package rclone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// MinVersion returns the oldest rclone release the driver works with:
// major, minor and patch (1, 57, 0).
func MinVersion() (major, minor, patch int) {
	return minVersion[0], minVersion[1], minVersion[2]
}

// minVersion is MinVersion as an array.
var minVersion = [3]int{1, 57, 0}

// Default timeouts.
const (
	DefaultStartTimeout = 30 * time.Second
	DefaultStopTimeout  = 5 * time.Second
)

var _ kv.Backend = (*Driver)(nil)

// Driver is a kv.Backend on an rclone remote. It is safe for concurrent
// use; item calls share one rcd and its pool of HTTP connections.
type Driver struct {
	remote string
	cfg    config
	life   backendkit.Lifecycle

	mu       sync.Mutex // serializes Create, Open, Close, Destroy, Shutdown
	srv      atomic.Pointer[server]
	versionS string // the version of the binary, once checked

	names *nameLocks // see nameLocks

	sweep *tmpsweep.Sweeper // removes stale temporaries while open; under mu
}

// config is what the Options set.
type config struct {
	binary       string
	configFile   string
	extraArgs    []string
	startTimeout time.Duration
	stopTimeout  time.Duration
	callTimeout  time.Duration
	keepAlive    *bool
	logger       *slog.Logger
}

// Option configures a Driver in New.
type Option func(*config)

// WithBinary sets the rclone executable. The default is $RCLONE_BINARY, or
// else "rclone" looked up in PATH.
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithConfigFile makes rcd read the rclone configuration from path (its
// --config flag) instead of rclone's default location.
func WithConfigFile(path string) Option { return func(c *config) { c.configFile = path } }

// WithArgs adds flags to the rcd command line, for example
// "--s3-upload-concurrency=8". Never put secrets here: command lines are
// visible to every user of the machine.
func WithArgs(args ...string) Option {
	return func(c *config) { c.extraArgs = append(c.extraArgs, args...) }
}

// WithStartTimeout bounds the wait for a new rcd to answer
// (DefaultStartTimeout).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithStopTimeout is how long rcd may take to exit after SIGTERM before it
// is killed (DefaultStopTimeout).
func WithStopTimeout(d time.Duration) Option { return func(c *config) { c.stopTimeout = d } }

// WithCallTimeout bounds every HTTP call to rcd; zero (the default) leaves
// it to the caller's context.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// WithKeepAlive keeps the rcd running from the first Create or Open until
// Destroy or Shutdown, instead of stopping it on Close and after Create.
// It is off by default; a :memory: remote, whose items live inside the
// rcd, needs it (without it, Open after Create finds no store). The caller
// must then call Shutdown (or Destroy) when done.
func WithKeepAlive(on bool) Option { return func(c *config) { c.keepAlive = &on } }

// WithLogger makes the driver report its own events to logger: every
// line rcd writes, at the level rclone gave it (ERROR at Error, NOTICE and
// INFO at Info, DEBUG at Debug; add "-v" with WithArgs for more), an rcd
// started (Debug) and one found dead and started again (Warn). Without it
// rcd's output is only quoted in the errors of a failed start.
func WithLogger(logger *slog.Logger) Option { return func(c *config) { c.logger = logger } }

// New returns a Driver for the rclone remote (the "remote:path" of rclone's
// command line). It does no I/O: the binary is looked up and started by
// Create, Open and Destroy.
func New(remote string, opts ...Option) *Driver {
	cfg := config{startTimeout: DefaultStartTimeout, stopTimeout: DefaultStopTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = discard
	}
	return &Driver{remote: remote, cfg: cfg, names: newNameLocks()}
}

// FromURL parses rclone:remote:path and returns a Driver for remote:path
// with opts. The part after "rclone:" is passed to rclone as it is; an
// empty one is a kv.ErrInvalidURL error.
func FromURL(rawURL string, opts ...Option) (*Driver, error) {
	scheme, remote, ok := strings.Cut(rawURL, ":")
	switch {
	case !ok || !strings.EqualFold(scheme, "rclone"):
		return nil, backendkit.InvalidURL(rawURL, `scheme is not "rclone"; want rclone:remote:path`)
	case remote == "":
		return nil, backendkit.InvalidURL(rawURL, "no remote after rclone:; want rclone:remote:path, e.g. rclone::local:/tmp/x or rclone:mys3:bucket/path")
	case strings.ContainsAny(remote, "\x00\n\r"):
		return nil, backendkit.InvalidURL(rawURL, "remote holds a control character")
	}
	return New(remote, opts...), nil
}

// Remote returns the rclone remote:path the driver stores items under.
func (d *Driver) Remote() string { return d.remote }

// Properties describes the driver: scheme "rclone", remote (a child
// process, and usually a network behind it), and no pre-creation: rclone
// creates parent directories on upload, and pre-creating 65,536
// directories through HTTP calls (or on an object store, where they do not
// exist) costs more than it saves. Flat is true while the rcd runs for a
// bucket-based remote (an object store, :memory:): List then takes
// kv.Recursive.
func (d *Driver) Properties() kv.Properties {
	s := d.srv.Load()
	return kv.Properties{Scheme: "rclone", Remote: true, Flat: s != nil && s.bucketBased}
}

func (d *Driver) keepAlive() bool { return d.cfg.keepAlive != nil && *d.cfg.keepAlive }

// ensureServer returns the running rcd, starting one if there is none or
// the last one died. d.mu must be held.
func (d *Driver) ensureServer(ctx context.Context, op kv.Op) (*server, error) {
	if s := d.srv.Load(); s != nil {
		if !s.exited() {
			return s, nil
		}
		d.cfg.logger.Warn("rclone: rcd exited; starting a new one", "pid", s.cmd.Process.Pid, "status", s.waitErr)
		s.stop(d.cfg.stopTimeout)
		d.srv.Store(nil)
	}
	s, err := startServer(ctx, op, d.cfg, d.versionS == "")
	if err != nil {
		return nil, err
	}
	d.versionS = s.version
	d.srv.Store(s)
	d.cfg.logger.Debug("rclone: rcd started", "pid", s.cmd.Process.Pid, "version", s.version, "remote", d.remote)
	return s, nil
}

// releaseServer stops the rcd unless keep is true. d.mu must be held.
func (d *Driver) releaseServer(keep bool) error {
	if keep {
		return nil
	}
	s := d.srv.Swap(nil)
	if s == nil {
		return nil
	}
	return s.stop(d.cfg.stopTimeout)
}

// Create makes the store: the base directory is created with its parents.
// An existing empty base is accepted, a non-empty one is kv.ErrExists.
func (d *Driver) Create(ctx context.Context) error {
	return d.life.Transition(ctx, kv.OpCreate, func() error { return d.create(ctx) })
}

func (d *Driver) create(ctx context.Context) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.ensureServer(ctx, kv.OpCreate)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.releaseServer(d.keepAlive())) }()
	root, err := d.rootEntries(ctx, s, kv.OpCreate)
	if err != nil && !errors.Is(err, kv.ErrNoStore) {
		return err
	}
	for _, e := range root {
		if !backendkit.IsStoreRecord(e.Name) {
			return backendkit.NewError(kv.OpCreate, "", kv.ErrExists, errors.New(d.remote+" is not empty"))
		}
	}
	if err := s.call(ctx, d.cfg, "operations/mkdir", params{"fs": d.remote, "remote": ""}, nil); err != nil {
		return s.kvError(kv.OpCreate, "", err)
	}
	if err := s.upload(ctx, d.cfg, d.remote, "", backendkit.StoreRecord, []byte(backendkit.StoreRecordText)); err != nil {
		return s.kvError(kv.OpCreate, backendkit.StoreRecord, err)
	}
	return nil
}

// Destroy removes the store and everything in it (rclone's purge) and stops
// the rcd, kept alive or not. A missing store is kv.ErrNoStore.
func (d *Driver) Destroy(ctx context.Context) error {
	return d.life.Transition(ctx, kv.OpDestroy, func() error { return d.destroy(ctx) })
}

func (d *Driver) destroy(ctx context.Context) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.ensureServer(ctx, kv.OpDestroy)
	if err != nil {
		return err
	}
	// A refused Destroy leaves a kept-alive rcd (and a :memory: store) be.
	defer func() { err = errors.Join(err, d.releaseServer(err != nil && d.keepAlive())) }()
	if err := d.checkStore(ctx, s, kv.OpDestroy); err != nil {
		return err
	}
	err = s.call(ctx, d.cfg, "operations/purge", params{"fs": d.remote, "remote": ""}, nil)
	if err != nil && !errors.Is(s.kvError(kv.OpDestroy, "", err), kv.ErrNotFound) {
		return s.kvError(kv.OpDestroy, "", err)
	}
	return nil
}

// Open starts the rcd (or reuses a kept-alive one) and checks that the
// store exists; a missing base, or a file, is kv.ErrNoStore. If anything
// fails, no rcd is left running. On a remote with directories it starts a
// sweep in the background that removes the temporaries of killed writers
// once stale (see internal/tmpsweep); Close stops it.
func (d *Driver) Open(ctx context.Context) error {
	return d.life.Transition(ctx, kv.OpOpen, func() error { return d.open(ctx) })
}

func (d *Driver) open(ctx context.Context) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.ensureServer(ctx, kv.OpOpen)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.releaseServer(d.keepAlive() && !s.exited()))
		}
	}()
	if err := d.checkStore(ctx, s, kv.OpOpen); err != nil {
		return err
	}
	if err := s.loadFeatures(ctx, d.cfg, d.remote); err != nil {
		return s.kvError(kv.OpOpen, "", err)
	}
	d.sweep = d.startSweep(s)
	return nil
}

// Close closes the store and stops the rcd (unless kept alive).
func (d *Driver) Close(ctx context.Context) error {
	return d.life.Transition(ctx, kv.OpClose, func() error { return d.stop(kv.OpClose, d.keepAlive()) })
}

// stop stops the rcd unless keep is true.
func (d *Driver) stop(op kv.Op, keep bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep.Stop()
	d.sweep = nil
	if err := d.releaseServer(keep); err != nil {
		return backendkit.NewError(op, "", nil, err)
	}
	return nil
}

// Shutdown closes the store if it is open and stops the rcd, kept alive or
// not. It is safe to call at any time, also more than once.
func (d *Driver) Shutdown(ctx context.Context) error {
	err := d.life.Transition(ctx, kv.OpClose, func() error { return d.stop(kv.OpClose, false) })
	if errors.Is(err, kv.ErrNotOpen) {
		return d.stop(kv.OpClose, false)
	}
	return err
}

// rootEntries returns the entries of the base directory (all of them, valid
// names or not). A missing base, or one that is a file, is kv.ErrNoStore.
func (d *Driver) rootEntries(ctx context.Context, s *server, op kv.Op) ([]entry, error) {
	var out struct {
		List []entry `json:"list"`
	}
	err := s.call(ctx, d.cfg, "operations/list", params{"fs": d.remote, "remote": "", "opt": listOpt}, &out)
	if err != nil {
		kerr := s.kvError(op, "", err)
		var re *rcError
		if errors.As(err, &re) && strings.Contains(re.Msg, "didn't find section in config file") {
			remote, _, _ := strings.Cut(d.remote, ":")
			return nil, backendkit.NewError(op, "", nil,
				fmt.Errorf("unknown rclone remote %q: it is not in rclone's config (rclone listremotes shows the configured ones)", remote))
		}
		if errors.Is(kerr, kv.ErrNotFound) || errors.As(err, &re) && strings.Contains(re.Msg, "is a file not a directory") {
			if strings.HasPrefix(d.remote, ":memory:") && !d.keepAlive() {
				err = fmt.Errorf("%w (a :memory: remote keeps its items only while its rcd runs: use rclone.WithKeepAlive(true))", err)
			}
			return nil, backendkit.NewError(op, "", kv.ErrNoStore, err)
		}
		return nil, kerr
	}
	return out.List, nil
}

// checkStore returns kv.ErrNoStore for a missing store and kv.ErrNotAStore
// for a directory that is not a store (backendkit.Recognize).
func (d *Driver) checkStore(ctx context.Context, s *server, op kv.Op) error {
	root, err := d.rootEntries(ctx, s, op)
	if err != nil {
		return err
	}
	return backendkit.Recognize(ctx, op, d.remote, func(ctx context.Context, dir string) ([]backendkit.DirEntry, error) {
		es := root
		if dir != "" {
			if es, err = d.list(ctx, s, op, dir); err != nil {
				return nil, err
			}
		}
		out := make([]backendkit.DirEntry, len(es))
		for i, e := range es {
			out[i] = backendkit.DirEntry{Name: e.Name, Dir: e.IsDir}
		}
		return out, nil
	})
}

// server returns the rcd of the open store, or an ErrNotOpen error.
func (d *Driver) server(op kv.Op, name string) (*server, error) {
	s := d.srv.Load()
	if s == nil {
		return nil, backendkit.NewError(op, name, kv.ErrNotOpen, nil)
	}
	return s, nil
}
