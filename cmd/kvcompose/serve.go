package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/restserver"
)

// serveFlags are the flags of `kvcompose serve`, those of
// borgstore-server-rest and a few more.
type serveFlags struct {
	backend          string
	host             string
	port             int
	username         string
	password         string
	permissions      string
	quota            int64
	socketActivation bool
	stdio            bool
	tlsCert, tlsKey  string
	debug            bool
	observe          observeFlags // serve_observe.go
	logLevel         string       // "info", "warning", "error", "critical" ("" : info)
	logJSON          bool
	restrictPath     []string
	restrictRepo     []string
	memoryBudget     int64
	maxBody          int64
}

// switchLog applies a log switch (--debug, --info, ...).
func (f *serveFlags) switchLog(s string) {
	switch s {
	case "--debug":
		f.debug = true
	case "--info", "--verbose", "-v":
		f.logLevel = "info"
	case "--warning", "--error", "--critical":
		f.logLevel = s[2:]
	case "--log-json":
		f.logJSON = true
	}
}

// slogLevel is the log level the flags ask for.
func (f *serveFlags) slogLevel() slog.Level {
	switch {
	case f.debug:
		return slog.LevelDebug
	case f.logLevel == "warning":
		return slog.LevelWarn
	case f.logLevel == "error", f.logLevel == "critical":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// newServeCmd returns `kvcompose serve`.
func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --backend URL [flags]",
		Short: "Serve a store over borgstore's REST protocol (HTTP, HTTPS or stdio)",
		Long: `Serve a store over borgstore's REST protocol, as borgstore-server-rest does:
on TCP (--host, --port), on a socket passed by systemd (--socket-activation),
or HTTP/1.1 on stdin/stdout (--stdio, or --rest as Borg 2 runs it over ssh
with BORG_REMOTE_PATH=kvcompose).

--backend takes any kvcompose URL (file:///abs/path, sftp://..., s3:...), or
FILE:PATH as borgstore's clients pass it, PATH relative to the current
directory or starting with ~. The store is served at the driver level:
nesting and soft delete are the client's business.

The credentials may come from KVCOMPOSE_REST_USERNAME and
KVCOMPOSE_REST_PASSWORD instead of the command line; the permissions from
BORG_REPO_PERMISSIONS when --permissions is not given.

As an ssh forced command (command="kvcompose serve --rest ..." in
authorized_keys), serve takes only --backend and the log options from the
client's own command (SSH_ORIGINAL_COMMAND); permissions, quota, limits and
restrictions come from the forced command alone, a client that passes them
is refused. --restrict-to-path PATH allows PATH and anything under it,
--restrict-to-repository PATH exactly PATH (both repeatable); the backend
must then be a local path, checked with symlinks and ".." resolved.

Values stream both ways; the bodies share --memory-budget bytes of memory
across all connections (a small body read whole, a stream's 128 KiB
buffer): a request waits for its share up to 10 s, then is refused with 503
and Retry-After; a body over --max-body is refused (413) before it is
read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.backend, "backend", "", "the store: a kvcompose URL or FILE:PATH (required)")
	fl.StringVar(&f.host, "host", "127.0.0.1", "address to listen on")
	fl.IntVar(&f.port, "port", 5618, "port to listen on (0: any free port)")
	fl.StringVar(&f.username, "username", "", "Basic auth user name (or KVCOMPOSE_REST_USERNAME)")
	fl.StringVar(&f.password, "password", "", "Basic auth password (or KVCOMPOSE_REST_PASSWORD)")
	fl.StringVar(&f.permissions, "permissions", "", "permissions: a shortcut (all, no-delete, write-only, read-only) or a JSON object")
	fl.Int64Var(&f.quota, "quota", -1, "quota in bytes (-1: none)")
	fl.BoolVar(&f.socketActivation, "socket-activation", false, "serve the listening socket systemd passes on fd 3")
	fl.BoolVar(&f.stdio, "stdio", false, "speak HTTP/1.1 on stdin/stdout until EOF")
	fl.BoolVar(&f.stdio, "rest", false, "the same as --stdio (as Borg 2 runs it)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file: serve HTTPS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM key file of --tls-cert")
	fl.BoolVar(&f.debug, "debug", false, "log every failed request")
	fl.StringArrayVar(&f.restrictPath, "restrict-to-path", nil, "allow only repositories at or under PATH (repeatable)")
	fl.StringArrayVar(&f.restrictRepo, "restrict-to-repository", nil, "allow only the repository at exactly PATH (repeatable)")
	fl.Int64Var(&f.memoryBudget, "memory-budget", restserver.DefaultMemoryBudget, "body memory shared by all connections (small bodies, streams' buffers), in bytes")
	fl.Int64Var(&f.maxBody, "max-body", restserver.DefaultMaxBody, "largest request body, in bytes")
	for _, s := range []string{"info", "warning", "error", "critical", "verbose", "log-json"} {
		short := ""
		if s == "verbose" {
			short = "v"
		}
		fl.BoolP(s, short, false, "log option, as borg serve takes it")
		_ = fl.MarkHidden(s)
	}
	addObserveFlags(fl, &f.observe)
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	for _, s := range []string{"info", "warning", "error", "critical", "verbose", "log-json"} {
		if on, _ := cmd.Flags().GetBool(s); on {
			f.switchLog("--" + s)
		}
	}
	if orig, ok := os.LookupEnv("SSH_ORIGINAL_COMMAND"); ok && f.stdio {
		if err := applyForced(&f, orig); err != nil {
			return err
		}
	}
	if f.backend == "" {
		return errors.New(`serve: required flag "backend" not set (under a forced command: the client's --backend)`)
	}
	if err := checkRestrictions(&f); err != nil {
		return err
	}
	if f.permissions == "" {
		f.permissions = os.Getenv("BORG_REPO_PERMISSIONS")
	}
	if f.memoryBudget <= 0 || f.maxBody <= 0 {
		return errors.New("serve: --memory-budget and --max-body must be positive")
	}
	if f.username == "" {
		f.username = os.Getenv("KVCOMPOSE_REST_USERNAME")
	}
	if f.password == "" {
		f.password = os.Getenv("KVCOMPOSE_REST_PASSWORD")
	}
	if (f.username == "") != (f.password == "") {
		return errors.New("serve: --username and --password go together")
	}
	if f.stdio && f.socketActivation {
		return errors.New("serve: --stdio and --socket-activation exclude each other")
	}
	rawURL, err := backendURL(f.backend)
	if err != nil {
		return err
	}
	obs, err := startServeObserver(cmd.Context(), f.observe, f.stdio, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer obs.close()
	opts := append([]compose.Option{compose.WithoutNesting(), compose.WithoutSoftDelete(), compose.WithoutStats(),
		compose.WithoutThrottle()}, obs.storeOptions()...)
	if f.permissions != "" {
		perms, err := permissions.Parse(f.permissions)
		if err != nil {
			return fmt.Errorf("serve: --permissions: %w", err)
		}
		opts = append(opts, compose.WithPermissions(perms))
	}
	if f.quota >= 0 {
		opts = append(opts, compose.WithQuota(f.quota))
	}
	if sync, _ := cmd.Flags().GetBool("sync"); sync {
		opts = append(opts, compose.WithSync(true))
	}
	store, err := compose.Open(rawURL, opts...)
	if err != nil {
		return err
	}
	hopts := &slog.HandlerOptions{Level: f.slogLevel()}
	var lh slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), hopts)
	if f.logJSON {
		lh = slog.NewJSONHandler(cmd.ErrOrStderr(), hopts)
	}
	log := slog.New(lh)
	if os.Getenv("GOMEMLIMIT") == "" {
		// Collect garbage before the heap outgrows the bodies it may
		// hold: the budget plus what the server needs besides.
		debug.SetMemoryLimit(f.memoryBudget + memoryOverhead)
	}
	h := restserver.New(store, append([]restserver.Option{restserver.WithCredentials(f.username, f.password),
		restserver.WithLogger(log), restserver.WithMemoryBudget(f.memoryBudget), restserver.WithMaxBody(f.maxBody)},
		obs.handlerOptions(serverAddress(f))...)...)

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.stdio {
		// stdout carries the protocol: nothing else may write to it.
		return restserver.ServeStdio(ctx, h, os.Stdin, os.Stdout)
	}
	var ln net.Listener
	if f.socketActivation {
		ln, err = restserver.ActivationListener()
	} else {
		ln, err = net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	log.Info("kvcompose serve: listening", "url", scheme+"://"+ln.Addr().String()+"/", "backend", f.backend)
	return restserver.Serve(ctx, ln, h, f.tlsCert, f.tlsKey)
}

// homeDir returns the home directory of the user name, or of the current
// user when name is "".
func homeDir(name string) (string, error) {
	if name == "" {
		return os.UserHomeDir()
	}
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.HomeDir, nil
}

// memoryOverhead is what the server needs beside the request bodies (the
// runtime, buffers, responses of small items), for the Go memory limit.
const memoryOverhead = 48 << 20

// backendURL turns borgstore's FILE:PATH (relative, absolute, ~ or ~user)
// into a file:// URL of the absolute path; other URLs pass as they are.
func backendURL(raw string) (string, error) {
	p, ok := strings.CutPrefix(raw, "FILE:")
	if !ok {
		return raw, nil
	}
	if p == "" {
		return "", errors.New("serve: FILE: without a path")
	}
	if rest, ok := strings.CutPrefix(p, "~"); ok {
		name, tail, _ := strings.Cut(rest, "/")
		home, err := homeDir(name)
		if err != nil {
			return "", fmt.Errorf("serve: %s: %w", raw, err)
		}
		p = filepath.Join(home, tail)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("serve: %s: %w", raw, err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}
