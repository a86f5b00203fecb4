package rest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sync"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream reads the value of name, or the part a kv.Range selects, as
// a stream: one GET (with an Info first where Load has one), whose answer
// is read as the caller reads, under the stall watchdog while a read
// waits. Closing the reader before the end closes the connection (over
// stdio, drops the rest of the answer when it is short, else ends the
// server process). An answer shorter than its Content-Length fails the
// read with kv.ErrConnection, one longer than the range asked with
// kv.ErrProtocol.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	const op = kv.OpLoad
	p, err := d.beginLoad(ctx, name, opts)
	switch {
	case err != nil:
		return nil, err
	case p.empty:
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	resp, err := d.open(ctx, op, name, get(name, p.header(), p.limit))
	if err != nil {
		return nil, err
	}
	if err := p.check(name, resp.StatusCode); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if p.limit >= 0 && resp.ContentLength > p.limit {
		resp.Body.Close()
		return nil, protocolError(op, name, "server announced %d bytes for a range of %d", resp.ContentLength, p.limit)
	}
	return &loadBody{d: d, ctx: ctx, name: name, rc: resp.Body, cut: p.cut, limit: p.limit}, nil
}

// open sends s and returns the answer unread when it is a success (200 or
// 206); any other answer is read (its first bytes) and is the error, as
// call has it.
func (d *Driver) open(ctx context.Context, op kv.Op, name string, s spec) (*http.Response, error) {
	req, err := d.request(s)
	if err != nil {
		return nil, backendkit.NewError(op, name, kv.ErrInvalidName, err)
	}
	resp, err := d.tr.open(ctx, req, true)
	if err = d.failure(ctx, op, name, err); err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent {
		return resp, nil
	}
	answer, _, err := readAnswer(resp, resp.Body, 0, d.cfg.readAhead)
	resp.Body.Close()
	if err = d.failure(ctx, op, name, err); err != nil {
		return nil, err
	}
	return nil, d.answerError(op, name, answer)
}

// loadBody is the reader LoadStream returns.
type loadBody struct {
	d          *Driver
	ctx        context.Context
	name       string
	rc         io.ReadCloser
	cut, limit int64 // as in loadPlan
	n          int64 // bytes read
	err        error // sticky
}

func (b *loadBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.cut >= 0 && int64(len(p)) > b.cut-b.n {
		p = p[:b.cut-b.n]
		if len(p) == 0 {
			b.err = io.EOF
			return 0, io.EOF
		}
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case b.limit >= 0 && b.n > b.limit:
		b.err = protocolError(kv.OpLoad, b.name, "%s: %v", b.d, errTooLong)
		return 0, b.err
	case err == io.EOF:
		b.err = io.EOF
	case err != nil:
		b.err = b.d.failure(b.ctx, kv.OpLoad, b.name, err)
		return n, b.err
	}
	return n, err
}

// Close ends the exchange; after a range cut short of the answer (a
// suffix read whole, at most suffixSlack bytes more), the rest is read
// first, to keep the connection.
func (b *loadBody) Close() error {
	if b.cut >= 0 && b.err == io.EOF && b.n == b.cut {
		_, _ = io.CopyN(io.Discard, b.rc, suffixSlack+1)
	}
	if b.err == nil {
		b.err = errClosed
	}
	return b.rc.Close()
}

// StoreStream stores the bytes of src under name (POST NAME), reading src
// through backendkit.Source as it is sent, in one request:
//
//   - a value of at most WithReadAhead bytes (its size known, or src
//     ending within them) is read first and sent as Store sends it, with
//     its SHA-256 in X-Content-hash-sha256;
//   - a larger value of known size streams with its Content-Length and no
//     hash: the protocol puts the hash in a header, before the body, and
//     borgstore's server reads only bodies of known length, so a hash
//     would take a second pass over src;
//   - a larger value of unknown size streams chunked, hashed on the way,
//     its hash in a trailer, which kvcompose's server verifies; borgstore's
//     server takes no chunked body and refuses it (422, the value damaged
//     on the way), so nothing wrong is ever stored there.
//
// A failure of src (or a size that lies, or a cancelled context) breaks
// the request off, so that the server stores nothing; it is returned as
// Source has it.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	if err := noHidden(op, name, opts); err != nil {
		return err
	}
	in := backendkit.Source(ctx, name, src, size)
	small := int64(max(d.cfg.readAhead, 0))
	body := &sendSource{r: in, left: size}
	length := size
	if size <= small {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(io.LimitReader(in, small+1)); err != nil {
			return err
		}
		if int64(buf.Len()) <= small {
			return d.store(ctx, name, buf.Bytes())
		}
		body.r, body.left = io.MultiReader(&buf, in), -1
	}
	s := post(name, nil, nil)
	s.stream, s.length = body, length
	if length < 0 {
		body.sum = sha256.New()
		body.trailer = http.Header{http.CanonicalHeaderKey(restproto.HeaderContentHash): nil}
		s.header = http.Header{restproto.HeaderContentHash: {restproto.HashInTrailer}}
		s.trailer = body.trailer
	}
	resp, err := d.call(ctx, op, name, s)
	if serr := body.close(); serr != nil {
		return serr
	}
	if err != nil && length < 0 && resp != nil && resp.status == http.StatusUnprocessableEntity {
		err = fmt.Errorf("%w (a server that takes no chunked body, as borgstore's, refuses a value of unknown size over %d bytes)", err, small)
	}
	return err
}

// sendSource is the body of a StoreStream: it reads r (the source),
// hashing it into sum when there is one and setting the trailer's hash
// at the end; it keeps the source's failure, and once closed reads
// nothing more (the HTTP transport may read a body on after its answer).
type sendSource struct {
	mu      sync.Mutex
	r       io.Reader
	sum     hash.Hash
	trailer http.Header
	left    int64 // the bytes still to come when their number is known, else -1
	err     error // the source's failure
	closed  bool
}

func (s *sendSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.left == 0 {
		return 0, io.EOF
	}
	if s.left >= 0 && int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	if s.left >= 0 && err == nil {
		s.left -= int64(n)
		if s.left == 0 {
			// The last bytes go only once the source is seen to end
			// there: a source longer than declared must not reach the
			// server as a whole value of the declared length.
			var one [1]byte
			for err == nil {
				var k int
				k, err = s.r.Read(one[:])
				if k > 0 {
					err = errors.New("the source holds more than declared")
				}
			}
			if err == io.EOF {
				err = nil
			}
		}
	}
	if err != nil && err != io.EOF {
		n = 0
	}
	if s.sum != nil {
		s.sum.Write(p[:n])
	}
	switch {
	case err == io.EOF && s.sum != nil:
		s.trailer.Set(restproto.HeaderContentHash, hex.EncodeToString(s.sum.Sum(nil)))
	case err != nil && err != io.EOF:
		s.err = err
	}
	return n, err
}

// close stops the reads and returns the source's failure.
func (s *sendSource) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.err
}
