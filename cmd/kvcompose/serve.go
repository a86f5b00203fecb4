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
KVCOMPOSE_REST_PASSWORD instead of the command line.`,
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
	addObserveFlags(fl, &f.observe)
	_ = cmd.MarkFlagRequired("backend")
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
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
	opts := append([]compose.Option{compose.WithoutSoftDelete(), compose.WithoutStats(),
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
	store, err := compose.Open(rawURL, opts...)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if f.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	h := restserver.New(store, append([]restserver.Option{restserver.WithCredentials(f.username, f.password),
		restserver.WithLogger(log)}, obs.handlerOptions(serverAddress(f))...)...)

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
		var home string
		if name == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("serve: %s: %w", raw, err)
			}
			home = h
		} else {
			u, err := user.Lookup(name)
			if err != nil {
				return "", fmt.Errorf("serve: %s: %w", raw, err)
			}
			home = u.HomeDir
		}
		p = filepath.Join(home, tail)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("serve: %s: %w", raw, err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}
