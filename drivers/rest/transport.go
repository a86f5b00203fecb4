package rest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kvcompose/compose/internal/tail"
)

// response is a response read to its end.
type response struct {
	status int
	header http.Header
	body   []byte
}

// transport sends requests: a pool of keep-alive HTTP connections, or one
// server process spoken to over its stdin and stdout.
type transport interface {
	// roundTrip sends req and reads the whole response. An error means the
	// connection failed (or ctx ended): the request may or may not have
	// reached the store.
	roundTrip(ctx context.Context, req *http.Request) (*response, error)
	// reset drops the connections after a failure, so that the next
	// request makes new ones.
	reset()
	// release drops every connection (Close of the store).
	release()
}

// httpTransport is a pool of keep-alive connections.
type httpTransport struct {
	client *http.Client
}

func newHTTPTransport(c *config) *httpTransport {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       c.tls,
		TLSHandshakeTimeout:   c.timeout,
		ResponseHeaderTimeout: c.responseTimeout,
		MaxIdleConns:          c.maxConns,
		MaxIdleConnsPerHost:   c.maxConns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
	}
	return &httpTransport{client: &http.Client{Transport: t}}
}

func (t *httpTransport) roundTrip(ctx context.Context, req *http.Request) (*response, error) {
	resp, err := t.client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// readBody reads a response body, in one allocation when its length is
// known. The answer to HEAD has none, whatever Content-Length says.
func readBody(resp *http.Response) ([]byte, error) {
	if resp.Request != nil && resp.Request.Method == http.MethodHead {
		return nil, nil
	}
	if n := resp.ContentLength; n >= 0 && n < 1<<31 {
		body := make([]byte, n)
		_, err := io.ReadFull(resp.Body, body)
		return body, err
	}
	return io.ReadAll(resp.Body)
}

func (t *httpTransport) reset()   { t.client.CloseIdleConnections() }
func (t *httpTransport) release() { t.client.CloseIdleConnections() }

// stdioTransport runs a server process (locally, or over ssh) and speaks
// HTTP/1.1 with it over its stdin and stdout, one request at a time.
type stdioTransport struct {
	argv    []string
	timeout time.Duration // how long to wait for the process to end
	sem     chan struct{} // holds the process: one request at a time
	p       *process      // nil until the first request, or after a failure
}

func newStdioTransport(argv []string, timeout time.Duration) *stdioTransport {
	return &stdioTransport{argv: argv, timeout: timeout, sem: make(chan struct{}, 1)}
}

// process is a running server.
type process struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	stdout     *bufio.Reader
	stdoutFile *os.File
	stderr     *tail.Writer
	done       chan struct{} // closed when the process has ended
	err        error         // of Wait, set before done is closed
}

func (t *stdioTransport) start() (*process, error) {
	cmd := exec.Command(t.argv[0], t.argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Our own pipe for stdout, not StdoutPipe: Wait must not close it
	// while a response is still being read.
	stdout, w, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	cmd.Stdout = w
	p := &process{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 64<<10),
		stdoutFile: stdout, stderr: &tail.Writer{Max: 2048}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdin.Close()
		stdout.Close()
		return nil, fmt.Errorf("starting %s: %w", strings.Join(t.argv, " "), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends the process: EOF on its stdin first, then a kill if it does
// not end within timeout.
func (p *process) stop(timeout time.Duration) {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.stdoutFile.Close()
}

// failure describes a broken conversation with the process, with the end
// of what it wrote to stderr.
func (p *process) failure(err error) error {
	select {
	case <-p.done:
		err = fmt.Errorf("%w (server process: %v)", err, p.err)
	default:
	}
	if s := p.stderr.String(); s != "" {
		err = fmt.Errorf("%w; its stderr ends with: %s", err, s)
	}
	return err
}

func (t *stdioTransport) roundTrip(ctx context.Context, req *http.Request) (*response, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()
	if t.p == nil {
		p, err := t.start()
		if err != nil {
			return nil, err
		}
		t.p = p
	}
	p := t.p
	// A pipe read cannot be interrupted: an ended context kills the
	// process, and the next request starts a new one.
	stop := context.AfterFunc(ctx, func() { p.cmd.Process.Kill() })
	resp, err := exchange(p, req)
	stopped := !stop()
	if err != nil || stopped || resp.header.Get("Connection") == "close" {
		t.p = nil
		go p.stop(t.timeout)
	}
	switch {
	case stopped || ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, p.failure(err)
	}
	return resp, nil
}

// exchange writes req to the process and reads its response.
func exchange(p *process, req *http.Request) (*response, error) {
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	if _, err := p.stdin.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("sending the request: %w", err)
	}
	resp, err := http.ReadResponse(p.stdout, req)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (t *stdioTransport) reset() {}

func (t *stdioTransport) release() {
	t.sem <- struct{}{}
	defer func() { <-t.sem }()
	if t.p != nil {
		t.p.stop(t.timeout)
		t.p = nil
	}
}
