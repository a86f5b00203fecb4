package rest

import (
	"bufio"
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
	"sync"
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

// transport sends requests: a pool of keep-alive HTTP connections, or
// server processes spoken to over their stdin and stdout.
type transport interface {
	// roundTrip sends req and reads the whole response, whose body may be
	// at most limit bytes (-1: no limit) when it is a success. An error
	// means the connection failed, stalled (errStalled) or ctx ended: the
	// request may or may not have reached the store; or the answer broke
	// the protocol (kv.ErrProtocol).
	roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error)
	// open sends req and returns the response with its body unread: the
	// body's reads run under the stall watchdog (not the time between
	// them), and Close ends the exchange, before the end too (the
	// connection is then closed, or over stdio the rest of a short body
	// read and dropped). stream says that the caller holds the exchange
	// for as long as it wants (a LoadStream, a StoreStream), so that over
	// stdio other calls do not wait for it.
	open(ctx context.Context, req *http.Request, stream bool) (*http.Response, error)
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
		// Streams go through these buffers: 4 KiB (the default) would
		// take a system call per 4 KiB.
		WriteBufferSize: 64 << 10,
		ReadBufferSize:  64 << 10,
	}
	// No redirect is followed: the 3xx itself is the answer, and an error
	// (a redirected POST would become a GET, a 307 would send the value
	// and the credentials elsewhere).
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &httpTransport{client: &http.Client{Transport: t, CheckRedirect: noRedirect}, cfg: c}
}

// open sends req under a watchdog: connecting has the connect timeout
// (twice: TCP, then TLS), the request must be sent and the body of the
// answer arrive with no pause longer than the stall timeout, and the
// server has the response timeout to begin its answer.
func (t *httpTransport) open(ctx context.Context, req *http.Request, _ bool) (*http.Response, error) {
	rctx, cancel := context.WithCancel(ctx)
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
		cancel()
		return nil, w.end(err)
	}
	w.recv.Store(true)
	w.pause()
	rc := resp.Body
	resp.Body = &recvBody{r: rc, w: w, stall: stall, end: func(bool) error {
		// Closed before its end, the body closes the connection.
		err := rc.Close()
		cancel()
		return err
	}}
	return resp, nil
}

// roundTrip is open, with the answer read to its end.
func (t *httpTransport) roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error) {
	resp, err := t.open(ctx, req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r, _, err := readAnswer(resp, resp.Body, limit, t.cfg.readAhead)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (t *httpTransport) reset()   { t.client.CloseIdleConnections() }
func (t *httpTransport) release() { t.client.CloseIdleConnections() }

// stdioTransport runs server processes (locally, or over ssh) and speaks
// HTTP/1.1 with each over its stdin and stdout, one request at a time.
// Calls take turns on one process; a stream (a LoadStream being read, a
// StoreStream whose source is being read) holds its process for as long
// as its caller wants, so a call that finds every process held by a
// stream starts another (at most maxConns), and one idle process is kept.
type stdioTransport struct {
	argv []string
	cfg  *config

	mu      sync.Mutex
	idle    *process      // the process kept for the next call, or nil
	live    int           // processes running: idle or in use
	calls   int           // processes in use by calls that end on their own
	gen     int           // release() bumps it: older processes are stopped when given back
	changed chan struct{} // closed, and replaced, when a process is given back
}

func newStdioTransport(argv []string, c *config) *stdioTransport {
	return &stdioTransport{argv: argv, cfg: c, changed: make(chan struct{})}
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
	gen        int           // the transport's generation when it started
	stream     bool          // held by a stream now
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

// acquire takes a process for a call (a stream when stream is set): the
// idle one, or a new one when there is none or every process is held by a
// stream; fresh says that it was just started.
func (t *stdioTransport) acquire(ctx context.Context, stream bool) (p *process, fresh bool, err error) {
	for {
		t.mu.Lock()
		if p := t.idle; p != nil {
			t.idle = nil
			if p.ended() {
				t.live--
				t.mu.Unlock()
				go p.stop(t.cfg.timeout)
				continue
			}
			p.stream = stream
			if !stream {
				t.calls++
			}
			t.mu.Unlock()
			return p, false, nil
		}
		if t.calls == 0 && t.live < max(t.cfg.maxConns, 1) {
			t.live++
			if !stream {
				t.calls++
			}
			gen := t.gen
			t.mu.Unlock()
			p, err := t.start()
			if err != nil {
				t.mu.Lock()
				t.live--
				if !stream {
					t.calls--
				}
				t.signal()
				t.mu.Unlock()
				return nil, false, err
			}
			p.gen, p.stream = gen, stream
			return p, true, nil
		}
		changed := t.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// put gives p back: kept for the next call when reuse says its
// conversation is in step (and no process is kept yet), else stopped.
func (t *stdioTransport) put(p *process, reuse bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !p.stream {
		t.calls--
	}
	if reuse && t.idle == nil && p.gen == t.gen && !p.ended() {
		t.idle = p
	} else {
		t.live--
		go p.stop(t.cfg.timeout)
	}
	t.signal()
}

// signal wakes the calls waiting for a process; t.mu is held.
func (t *stdioTransport) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// open sends req to a process and reads the head of its answer, under a
// watchdog as over HTTP. A pipe read cannot be interrupted: an ended
// context or a stall kills the process, and the next call starts a new
// one. A failure is returned, never retried here.
func (t *stdioTransport) open(ctx context.Context, req *http.Request, stream bool) (*http.Response, error) {
	p, fresh, err := t.acquire(ctx, stream)
	if err != nil {
		return nil, err
	}
	// Starting the process (an ssh login) is connecting: the first
	// exchange of a new process has the connect timeout on top.
	var starting time.Duration
	if fresh {
		starting = t.cfg.timeout
	}
	kill := func() { p.cmd.Process.Kill() }
	stop := context.AfterFunc(ctx, kill)
	w := newWatchdog(starting+t.cfg.stallTimeout, kill)
	resp, err := t.exchange(p, w, req, starting)
	if err != nil {
		err = w.end(err)
		stopped := !stop()
		t.put(p, false)
		if stopped || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, p.failure(err)
	}
	w.pause()
	body, length, ahead := resp.Body, resp.ContentLength, int64(t.cfg.readAhead)
	if req.Method == http.MethodHead {
		length = 0 // the answer to HEAD has no body, whatever its Content-Length says
	}
	keep := !resp.Close && resp.Header.Get("Connection") != "close"
	var read int64
	counted := readerFunc(func(b []byte) (int, error) {
		n, err := body.Read(b)
		read += int64(n)
		return n, err
	})
	resp.Body = &recvBody{r: counted, w: w, stall: t.cfg.stallTimeout, end: func(complete bool) error {
		// A body closed before its end is read on and dropped when
		// little is left; else the process goes.
		if !complete && keep && length >= 0 && length-read <= ahead && !w.fired.Load() {
			w.arm(t.cfg.stallTimeout)
			_, err := io.CopyN(io.Discard, body, length-read)
			w.timer.Stop()
			complete = err == nil
		}
		stopped := !stop()
		t.put(p, complete && keep && !stopped && !w.fired.Load())
		return nil
	}}
	return resp, nil
}

// readerFunc is a function as an io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// roundTrip is open, with the answer read to its end. A request whose
// body is a stream (not in memory: it has no GetBody) holds its process
// as a stream does.
func (t *stdioTransport) roundTrip(ctx context.Context, req *http.Request, limit int64) (*response, error) {
	stream := req.Body != nil && req.Body != http.NoBody && req.GetBody == nil
	resp, err := t.open(ctx, req, stream)
	if err != nil {
		return nil, err
	}
	r, _, err := readAnswer(resp, resp.Body, limit, t.cfg.readAhead)
	resp.Body.Close()
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	return r, nil
}

// exchange writes req to the process and reads the head of its response,
// arming w as bytes go and come, with extra time before the first byte
// comes. The body of req streams, its pieces bounded by the writer's
// buffer.
func (t *stdioTransport) exchange(p *process, w *watchdog, req *http.Request, extra time.Duration) (*http.Response, error) {
	stall := t.cfg.stallTimeout
	bw := bufio.NewWriterSize(&armedWriter{w: p.stdin, wd: w, d: extra + stall}, 32<<10)
	if err := req.Write(bw); err != nil {
		return nil, fmt.Errorf("sending the request: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("sending the request: %w", err)
	}
	w.arm(extra + t.cfg.responseTimeout)
	p.recv.w, p.recv.stall = w, stall
	resp, err := http.ReadResponse(p.stdout, req)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	return resp, nil
}

// armedWriter writes to w, arming wd with d after every write.
type armedWriter struct {
	w  io.Writer
	wd *watchdog
	d  time.Duration
}

func (a *armedWriter) Write(b []byte) (int, error) {
	a.wd.arm(a.d)
	n, err := a.w.Write(b)
	a.wd.arm(a.d)
	return n, err
}

func (t *stdioTransport) reset() {}

// release stops the idle process; those in use stop when given back.
func (t *stdioTransport) release() {
	t.mu.Lock()
	t.gen++
	p := t.idle
	t.idle = nil
	if p != nil {
		t.live--
	}
	t.signal()
	t.mu.Unlock()
	if p != nil {
		p.stop(t.cfg.timeout)
	}
}
