package rclone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// params are the JSON parameters of an rc call.
type params map[string]any

// listOpt spares rclone work that List and Info do not need.
var listOpt = params{"noModTime": true, "noMimeType": true}

// rcError is an error answer of rcd: the HTTP status and rclone's own text.
type rcError struct {
	Status int
	Msg    string
}

func (e *rcError) Error() string { return fmt.Sprintf("rclone: %s (HTTP %d)", e.Msg, e.Status) }

// newRCError reads rcd's error body: JSON {"error": ..., "status": ...}
// from rc calls, or plain text from --rc-serve.
func newRCError(resp *http.Response) *rcError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var j struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &j) == nil && j.Error != "" {
		msg = j.Error
	}
	if msg == "" {
		msg = resp.Status
	}
	return &rcError{Status: resp.StatusCode, Msg: msg}
}

// sentinel maps an rcd answer to the kv sentinel it means, or nil.
func (e *rcError) sentinel() error {
	m := strings.ToLower(e.Msg)
	switch {
	case strings.Contains(m, "couldn't find method"), strings.Contains(m, "doesn't support"):
		return kv.ErrUnsupported
	case e.Status == http.StatusNotFound, strings.Contains(m, "not found"),
		strings.Contains(m, "no such file or directory"):
		return kv.ErrNotFound
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden,
		strings.Contains(m, "permission denied"), strings.Contains(m, "access denied"):
		return kv.ErrPermission
	case strings.Contains(m, "quota"), strings.Contains(m, "no space left"),
		strings.Contains(m, "insufficient storage"):
		return kv.ErrQuotaExceeded
	}
	return nil
}

// permanent reports whether a 500 answer will not change on a retry.
func (e *rcError) permanent() bool {
	m := strings.ToLower(e.Msg)
	return e.Status != http.StatusInternalServerError || e.sentinel() != nil ||
		strings.Contains(m, "is a directory") || strings.Contains(m, "not a directory")
}

// kvError turns an error of a call to rcd into a kv error for op on name:
// rcd's answers get the sentinel they mean and keep rclone's text; a
// cancelled context stays a context error; anything else (rcd gone, the
// connection reset) wraps kv.ErrConnection.
func (s *server) kvError(op kv.Op, name string, err error) error {
	var ke *kv.Error
	if errors.As(err, &ke) {
		return err
	}
	var re *rcError
	switch {
	case errors.As(err, &re):
		return backendkit.NewError(op, name, re.sentinel(), err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return backendkit.NewError(op, name, nil, err)
	}
	if s.exited() {
		err = fmt.Errorf("rclone rcd (pid %d) has exited (%v); reopen the store: %w", s.cmd.Process.Pid, s.waitErr, err)
	} else {
		err = fmt.Errorf("talking to rclone rcd at %s: %w", s.base, err)
	}
	return backendkit.NewError(op, name, kv.ErrConnection, err)
}

// withTimeout applies the call timeout, if any.
func withTimeout(ctx context.Context, cfg config) (context.Context, context.CancelFunc) {
	if cfg.callTimeout > 0 {
		return context.WithTimeout(ctx, cfg.callTimeout)
	}
	return ctx, func() {}
}

// do sends req with rcd's credentials and returns the response, or an
// *rcError for an error status.
func (s *server) do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(s.user, s.pass)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return resp, newRCError(resp)
	}
	return resp, nil
}

// call posts the rc method with in as JSON and decodes the answer into
// out, which may be nil.
func (s *server) call(ctx context.Context, cfg config, method string, in params, out any) error {
	ctx, cancel := withTimeout(ctx, cfg)
	defer cancel()
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer to %s: %w", method, err)
	}
	_, err = io.Copy(io.Discard, resp.Body) // read to EOF: the connection is reused
	return err
}

// retry runs f up to 3 times while it fails with a transient HTTP 500
// answer of rcd (rclone retries everything else itself), waiting 20 ms,
// then 80 ms, between tries; it stops when ctx ends.
func retry(ctx context.Context, f func() error) error {
	return rcRetry.Do(ctx, transient500, func(int) error { return f() })
}

// rcRetry is the schedule of retry.
var rcRetry = backoff.Policy{Initial: 20 * time.Millisecond, Multiplier: 4, MaxTries: 3}

// transient500 reports whether err is an answer of rcd that a retry may
// fix.
func transient500(err error) bool {
	var re *rcError
	return errors.As(err, &re) && !re.permanent()
}

// serveURL is the --rc-serve address of name in remote: /[remote]/name.
func (s *server) serveURL(remote, name string) string {
	u := url.URL{Path: "/[" + remote + "]/" + name}
	return s.base + u.EscapedPath()
}

// open sends the GET of name with the Range header rng ("" for all of it)
// and returns the response, whose body the caller reads and closes.
func (s *server) open(ctx context.Context, remote, name, rng string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.serveURL(remote, name), nil)
	if err != nil {
		return nil, err
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	return s.do(req)
}

// get downloads name with the Range header rng ("" for all of it) and
// reads at most limit bytes of the body (limit < 0: all of it) into one
// buffer. It returns the HTTP response too, whose body is closed.
func (s *server) get(ctx context.Context, cfg config, remote, name, rng string, limit int64) ([]byte, *http.Response, error) {
	ctx, cancel := withTimeout(ctx, cfg)
	defer cancel()
	resp, err := s.open(ctx, remote, name, rng)
	if err != nil {
		return nil, resp, err
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.StatusCode != http.StatusPartialContent {
		limit = -1 // the whole value, cut by the caller
	}
	if limit >= 0 {
		r = io.LimitReader(r, limit)
	}
	if n := resp.ContentLength; n >= 0 && (limit < 0 || n <= limit) {
		buf := make([]byte, n) // the one copy of the value
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, resp, fmt.Errorf("reading %s: %w", name, err)
		}
		return buf, resp, nil
	}
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, resp, fmt.Errorf("reading %s: %w", name, err)
	}
	return buf, resp, nil
}

// upload stores value as dir/file with operations/uploadfile (post).
func (s *server) upload(ctx context.Context, cfg config, remote, dir, file string, value []byte) error {
	return s.post(ctx, cfg, remote, dir, file, bytes.NewReader(value), int64(len(value)))
}

// uploadFrom stores the size bytes of value (size -1: unknown, sent
// chunked) as dir/file with operations/uploadfile (post). When reading
// value fails, the request is cut off before its end (rcd sees no
// complete body, so it stores nothing), and uploadFrom returns value's
// error.
func (s *server) uploadFrom(ctx context.Context, cfg config, remote, dir, file string, value io.Reader, size int64) error {
	src := &sourceErr{r: value}
	err := s.post(ctx, cfg, remote, dir, file, src, size)
	if src.err != nil {
		return src.err
	}
	return err
}

// post sends operations/uploadfile with a multipart body that streams
// value itself, between a small head and trailer, without copying or
// buffering it.
func (s *server) post(ctx context.Context, cfg config, remote, dir, file string, value io.Reader, size int64) error {
	ctx, cancel := withTimeout(ctx, cfg)
	defer cancel()
	var frame bytes.Buffer
	mw := multipart.NewWriter(&frame)
	if _, err := mw.CreateFormFile("file0", file); err != nil {
		return err
	}
	head := frame.Len()
	if err := mw.Close(); err != nil {
		return err
	}
	q := url.Values{"fs": {remote}, "remote": {dir}}
	body := io.MultiReader(bytes.NewReader(frame.Bytes()[:head]), value, bytes.NewReader(frame.Bytes()[head:]))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/operations/uploadfile?"+q.Encode(), body)
	if err != nil {
		return err
	}
	req.ContentLength = -1
	if size >= 0 {
		req.ContentLength = int64(frame.Len()) + size
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// sourceErr remembers the first error of r other than io.EOF.
type sourceErr struct {
	r   io.Reader
	err error
}

func (s *sourceErr) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}
