package restserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The timeouts of NewServer.
const (
	// HeaderTimeout limits reading the request line and headers.
	HeaderTimeout = 30 * time.Second
	// IdleTimeout closes a keep-alive connection idle for that long.
	IdleTimeout = 2 * time.Minute
	// ShutdownTimeout is how long Serve waits for requests in flight
	// when its context ends.
	ShutdownTimeout = 10 * time.Second
)

// NewServer returns an *http.Server for h with the timeouts a server on a
// network needs: the request headers must arrive within HeaderTimeout, an
// idle keep-alive connection is closed after IdleTimeout, and (for a
// *Handler) a body or a response that makes no progress for the stall
// timeout drops the connection, so a slow or stuck client holds only its
// own connection. HTTP/2 is off: borgstore's clients speak HTTP/1.1.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: HeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
}

// Serve answers the requests coming in on ln with h (see NewServer) until
// ctx ends, then waits up to ShutdownTimeout for the requests in flight.
// With tlsCert and tlsKey (PEM files) it speaks HTTPS. When h is a
// *Handler, the store is closed before Serve returns. It returns nil after
// ctx ended, else the error that stopped it.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsCert, tlsKey string) error {
	srv := NewServer(h)
	if (tlsCert == "") != (tlsKey == "") {
		return errors.New("restserver: TLS needs both a certificate and a key")
	}
	errc := make(chan error, 1)
	go func() {
		if tlsCert != "" {
			errc <- srv.ServeTLS(ln, tlsCert, tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil {
			srv.Close()
		}
		<-errc
	}
	if hh, ok := h.(*Handler); ok {
		cctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if cerr := hh.Close(cctx); err == nil || errors.Is(err, http.ErrServerClosed) {
			err = cerr
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// listenFDsStart is the first file descriptor systemd passes.
const listenFDsStart = 3

// ActivationListener returns the listening socket that systemd (or another
// service manager speaking its protocol) passed on file descriptor 3, as
// LISTEN_FDS=1 and LISTEN_PID (when set) say. It unsets those variables so
// that child processes do not take the socket for theirs.
func ActivationListener() (net.Listener, error) {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	defer func() {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}()
	if pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return nil, fmt.Errorf("socket activation: LISTEN_PID is %s, not this process (%d)", pid, os.Getpid())
	}
	n, err := strconv.Atoi(fds)
	switch {
	case fds == "":
		return nil, errors.New("socket activation: LISTEN_FDS is not set; was the service started by a socket unit?")
	case err != nil || n < 1:
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q, want 1", fds)
	case n > 1:
		return nil, fmt.Errorf("socket activation: %d sockets passed, want 1", n)
	}
	closeOnExec(listenFDsStart)
	f := os.NewFile(listenFDsStart, "LISTEN_FD_3")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("socket activation: fd 3 is not a listening socket: %w", err)
	}
	return ln, nil
}
