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
	"net/http/httptrace"
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

// maxErrorBody is the most bytes kept of the body of an answer that is not
// a success (its text goes into the error); the rest is dropped.
const maxErrorBody = 8 << 10

// transport sends requests: a pool of keep-alive HTTP connections, or one
// server process spoken to over its stdin and stdout.
type transport interface {
	// roundTrip sends req and reads the whole response, whose body may be
	// at most limit bytes (-1: no limit) when it is a success. An error
	// means the connection failed, stalled (errStalled) or ctx ended: the
	// request may or may not have reached the store; or the answer broke
	// the protocol (kv.ErrProtocol).
	roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error)
	// reset drops the connections after a failure, so that the next
	// request makes new ones.
	reset()
	// release drops every connection (Close of the store).
	release()
}

// readAnswer reads the body of resp from body (resp.Body, or a reader over
// it that marks progress): at most limit bytes of a success, at most
// maxErrorBody of anything else (drop then says that the rest is unread
// and the connection unusable). The answer to HEAD has no body, whatever
// its Content-Length says.
func readAnswer(resp *http.Response, body io.Reader, limit int64, ahead int) (r *response, drop bool, err error) {
	r = &response{status: resp.StatusCode, header: resp.Header}
	if resp.Request != nil && resp.Request.Method == http.MethodHead {
		return r, false, nil
	}
	success := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !success {
		limit = maxErrorBody
	}
	r.body, err = readAll(body, resp.ContentLength, limit, ahead)
	if !success && errors.Is(err, errTooLong) {
		r.body = append(r.body, "..."...)
		return r, true, nil
	}
	return r, false, err
}

// httpTransport is a pool of keep-alive connections.
type httpTransport struct {
	client *http.Client
	cfg    *config
}

func newHTTPTransport(c *config) *httpTransport {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     c.tls,
		TLSHandshakeTimeout: c.timeout,
		MaxIdleConns:        c.maxConns,
		MaxIdleConnsPerHost: c.maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	// No redirect is followed: the 3xx itself is the answer, and an error
	// (a redirected POST would become a GET, a 307 would send the value
	// and the credentials elsewhere).
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &httpTransport{client: &http.Client{Transport: t, CheckRedirect: noRedirect}, cfg: c}
}

// roundTrip sends req under a watchdog: connecting has the connect
// timeout (twice: TCP, then TLS), the request must be sent and the body of
// the answer arrive with no pause longer than the stall timeout, and the
// server has the response timeout to begin its answer.
func (t *httpTransport) roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stall, wait := t.cfg.stallTimeout, t.cfg.responseTimeout
	w := newWatchdog(2*t.cfg.timeout+stall, cancel)
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { w.arm(stall) },
		WroteRequest: func(httptrace.WroteRequestInfo) {
			if !w.recv.Load() {
				w.arm(wait)
			}
		},
	})
	req = req.WithContext(rctx)
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &sendBody{rc: req.Body, w: w, stall: stall}
		if get := req.GetBody; get != nil {
			req.GetBody = func() (io.ReadCloser, error) {
				rc, err := get()
				return &sendBody{rc: rc, w: w, stall: stall}, err
			}
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, w.end(err)
	}
	defer resp.Body.Close()
	w.recv.Store(true)
	w.arm(stall)
	r, _, err := readAnswer(resp, &progressReader{r: resp.Body, w: w, stall: stall}, limit, t.cfg.readAhead)
	if err = w.end(err); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *httpTransport) reset()   { t.client.CloseIdleConnections() }
func (t *httpTransport) release() { t.client.CloseIdleConnections() }

// stdioTransport runs a server process (locally, or over ssh) and speaks
// HTTP/1.1 with it over its stdin and stdout, one request at a time.
type stdioTransport struct {
	argv []string
	cfg  *config
	sem  chan struct{} // holds the process: one request at a time
	p    *process      // nil until the first request, or after a failure
}

func newStdioTransport(argv []string, c *config) *stdioTransport {
	return &stdioTransport{argv: argv, cfg: c, sem: make(chan struct{}, 1)}
}

// process is a running server.
type process struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	stdout     *bufio.Reader // over recv
	recv       progressReader
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
	p := &process{cmd: cmd, stdin: stdin, stdoutFile: stdout, stderr: &tail.Writer{Max: 2048},
		done: make(chan struct{})}
	p.recv.r = stdout
	p.stdout = bufio.NewReaderSize(&p.recv, 64<<10)
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

// ended reports whether the process has ended.
func (p *process) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
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
	if p.ended() {
		err = fmt.Errorf("%w (server process: %v)", err, p.err)
	}
	if s := p.stderr.String(); s != "" {
		err = fmt.Errorf("%w; its stderr ends with: %s", err, s)
	}
	return err
}

// roundTrip sends req to the process (started first if there is none, or
// if the last one has ended) and reads its answer, under a watchdog as
// over HTTP. A pipe read cannot be interrupted: an ended context or a
// stall kills the process, and the next request starts a new one. A
// failure is returned, never retried here.
func (t *stdioTransport) roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()
	if t.p != nil && t.p.ended() {
		go t.p.stop(t.cfg.timeout)
		t.p = nil
	}
	// Starting the process (an ssh login) is connecting: the first
	// exchange of a new process has the connect timeout on top.
	var starting time.Duration
	if t.p == nil {
		p, err := t.start()
		if err != nil {
			return nil, err
		}
		t.p, starting = p, t.cfg.timeout
	}
	p := t.p
	kill := func() { p.cmd.Process.Kill() }
	stop := context.AfterFunc(ctx, kill)
	w := newWatchdog(starting+t.cfg.stallTimeout, kill)
	resp, drop, err := t.exchange(p, w, req, limit, starting)
	err = w.end(err)
	stopped := !stop()
	if err != nil || drop || stopped || w.fired.Load() || resp.header.Get("Connection") == "close" {
		t.p = nil
		go p.stop(t.cfg.timeout)
	}
	switch {
	case stopped || ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, p.failure(err)
	}
	return resp, nil
}

// exchange writes req to the process and reads its response, arming w as
// bytes go and come, with extra time before the first byte comes.
func (t *stdioTransport) exchange(p *process, w *watchdog, req *http.Request, limit int64, extra time.Duration) (*response, bool, error) {
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, false, err
	}
	stall := t.cfg.stallTimeout
	for b := buf.Bytes(); len(b) > 0; {
		n := min(len(b), 64<<10)
		if _, err := p.stdin.Write(b[:n]); err != nil {
			return nil, false, fmt.Errorf("sending the request: %w", err)
		}
		b = b[n:]
		w.arm(extra + stall)
	}
	w.arm(extra + t.cfg.responseTimeout)
	p.recv.w, p.recv.stall = w, stall
	resp, err := http.ReadResponse(p.stdout, req)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	r, drop, err := readAnswer(resp, resp.Body, limit, t.cfg.readAhead)
	if err != nil {
		return nil, false, fmt.Errorf("reading the response body: %w", err)
	}
	return r, drop, nil
}

func (t *stdioTransport) reset() {}

func (t *stdioTransport) release() {
	t.sem <- struct{}{}
	defer func() { <-t.sem }()
	if t.p != nil {
		t.p.stop(t.cfg.timeout)
		t.p = nil
	}
}
