package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/internal/backoff"
)

// maxParts is the most parts S3 takes in one multipart upload.
const maxParts = 10000

// errTooManyParts is the error of a stream of unknown size that needs more
// than maxParts parts.
var errTooManyParts = errors.New("the value needs more than 10000 parts; a larger part size (WithPartSize) lets it through")

// parts gives the parts of a multipart upload, in order.
type parts interface {
	// next returns the next part and whether it is the last one.
	next() (p []byte, last bool, err error)
	// done takes back a part that has gone up (or failed to).
	done(p []byte)
}

// partSize returns the size of the parts of a value of size bytes (-1:
// unknown): the configured one, or larger for a value that would need more
// than maxParts of them.
func (d *Driver) partSize(size int64) int {
	ps := int64(d.cfg.partSize)
	if size > ps*maxParts {
		const mib = 1 << 20
		ps = ((size+maxParts-1)/maxParts + mib - 1) / mib * mib
	}
	return int(ps)
}

// putMultipart writes the parts of src to the object key as one multipart
// upload: up to partThreads parts go up at once, each with its Content-MD5
// and unsigned, as put sends a value of one part. The object appears when
// the upload completes, after the last part. On any failure (src's error,
// a part refused, the context cancelled) the upload is aborted, with a
// context of its own, so that no part stays behind on the server.
//
// A failure of src or of one part stops the sending of further parts but
// lets the parts in flight finish: a part whose request is cut may still
// be written by the server after the abort, bringing the upload back (S3
// documents this; versitygw does it). Only the caller's context cuts the
// parts in flight, and abort then checks twice that the upload is gone.
func (d *Driver) putMultipart(ctx context.Context, key string, src parts) (err error) {
	id, err := d.core.NewMultipartUpload(ctx, d.bucket, key, minio.PutObjectOptions{})
	if err != nil {
		return err
	}
	var cut atomic.Bool // a part's request ended without the server's answer
	defer func() {
		if err != nil {
			err = d.abort(ctx, key, id, err, cut.Load())
		}
	}()
	stop, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	slots := make(chan struct{}, max(1, d.cfg.partThreads))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []minio.CompletePart
	)
send:
	for n := 1; ; n++ {
		select {
		case slots <- struct{}{}:
		case <-stop.Done():
			break send
		case <-ctx.Done():
			break send
		}
		if stop.Err() != nil || ctx.Err() != nil {
			break
		}
		if n > maxParts {
			cancel(errTooManyParts)
			break
		}
		p, last, err := src.next()
		if err != nil {
			cancel(err)
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			sum := md5.Sum(p)
			part, err := d.core.PutObjectPart(ctx, d.bucket, key, id, n, bytes.NewReader(p), int64(len(p)),
				minio.PutObjectPartOptions{Md5Base64: base64.StdEncoding.EncodeToString(sum[:]), DisableContentSha256: true})
			src.done(p)
			if err != nil {
				if errCode(err) == "" {
					cut.Store(true)
				}
				cancel(err)
				return
			}
			mu.Lock()
			sent = append(sent, minio.CompletePart{PartNumber: n, ETag: part.ETag})
			mu.Unlock()
		})
		if last {
			break
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if stop.Err() != nil {
		return context.Cause(stop)
	}
	slices.SortFunc(sent, func(a, b minio.CompletePart) int { return a.PartNumber - b.PartNumber })
	_, err = d.core.CompleteMultipartUpload(ctx, d.bucket, key, id, sent, minio.PutObjectOptions{})
	return err
}

// abortRetry is the schedule of abort's tries: a server may still be
// writing a part whose request was cancelled and refuse the abort for a
// moment (versitygw answers InternalError), and S3 documents that an
// abort may have to be repeated to free every part.
var abortRetry = backoff.Policy{Initial: 50 * time.Millisecond, Multiplier: 2, MaxTries: 6}

// abortSettle is how long abort waits, after a part's request was cut,
// before it checks that the upload is gone: the server may still be
// finishing that part, and writing it brings the upload back.
const abortSettle = 100 * time.Millisecond

// errUploadRemains is abort's reason to try again: the server still lists
// the upload after it was aborted.
var errUploadRemains = errors.New("the upload is still there after its abort")

// abort aborts the multipart upload id of key after err, even when ctx is
// done, within the driver's timeout, and checks with ListParts that the
// upload is gone, as S3 advises: a refused abort, or an upload still there
// after it, is tried again on abortRetry's schedule. cut says a part's
// request was cut short: the check then waits abortSettle first. A failure
// to abort is added to err.
func (d *Driver) abort(ctx context.Context, key, id string, err error, cut bool) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.timeout)
	defer cancel()
	s := abortRetry.Start()
	for {
		aerr := d.core.AbortMultipartUpload(actx, d.bucket, key, id)
		if aerr == nil || errCode(aerr) == "NoSuchUpload" {
			aerr = d.uploadGone(actx, key, id, cut)
		}
		if aerr == nil {
			return err
		}
		if s.Wait(actx) != nil {
			return fmt.Errorf("%w (and aborting multipart upload %s failed: %v)", err, id, aerr)
		}
	}
}

// uploadGone returns nil when the server no longer knows the upload id of
// key, errUploadRemains when it lists it; settle waits abortSettle first.
func (d *Driver) uploadGone(ctx context.Context, key, id string, settle bool) error {
	if settle {
		if err := backoff.Sleep(ctx, abortSettle); err != nil {
			return err
		}
	}
	_, err := d.core.ListObjectParts(ctx, d.bucket, key, id, 0, 1)
	switch {
	case err == nil:
		return errUploadRemains
	case errCode(err) == "NoSuchUpload":
		return nil
	default:
		return err
	}
}

// valueParts are the parts of a value in memory: slices of it, no copies.
type valueParts struct {
	value []byte
	size  int // of a part
}

func (v *valueParts) next() ([]byte, bool, error) {
	p := v.value[:min(v.size, len(v.value))]
	v.value = v.value[len(p):]
	return p, len(v.value) == 0, nil
}

func (v *valueParts) done([]byte) {}

// streamParts are the parts of a stream, read into at most as many buffers
// of the part size as parts go up at once (partThreads): the memory of a
// StoreStream. The first part was read before the upload began (its
// buffer holds a whole part).
type streamParts struct {
	r     *partReader
	first []byte
	size  int // of a part
	free  chan []byte
}

func (s *streamParts) next() ([]byte, bool, error) {
	if p := s.first; p != nil {
		s.first = nil
		return p, false, nil
	}
	var buf []byte
	select {
	case buf = <-s.free:
	default:
		buf = make([]byte, s.size)
	}
	n, last, err := s.r.fill(buf)
	if err != nil {
		s.done(buf)
	}
	return buf[:n], last, err
}

func (s *streamParts) done(p []byte) {
	select {
	case s.free <- p[:s.size]:
	default:
	}
}

// partReader cuts a stream into parts and tells the last one without a
// buffer of its own: after a full part, it reads one byte ahead, which
// begins the next part.
type partReader struct {
	src     io.Reader
	ahead   [1]byte
	carried bool
}

// fill reads the next part into buf, as much as fits, and reports whether
// it is the last one (a last part may be empty only if it is the first).
func (r *partReader) fill(buf []byte) (n int, last bool, err error) {
	if r.carried {
		buf[0], n, r.carried = r.ahead[0], 1, false
	}
	m, err := io.ReadFull(r.src, buf[n:])
	n += m
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return n, true, nil
	case err != nil:
		return n, false, err
	}
	more, err := r.more()
	return n, !more, err
}

// firstGrain is the first buffer of a stream of unknown size, which
// doubles up to the part size as the stream goes on.
const firstGrain = 64 << 10

// first reads the first part of a stream of unknown size, of at most size
// bytes, into a buffer that grows as bytes come, so that a short stream
// costs about its own size, not a part; it reports whether it is the last.
func (r *partReader) first(size int) ([]byte, bool, error) {
	buf := make([]byte, 0, min(size, firstGrain))
	for {
		m, err := io.ReadFull(r.src, buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+m]
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return buf, true, nil
		case err != nil:
			return buf, false, err
		case len(buf) == size:
			more, err := r.more()
			return buf, !more, err
		}
		buf = slices.Grow(buf, min(cap(buf), size-len(buf)))
	}
}

// more reads one byte ahead and reports whether there was one.
func (r *partReader) more() (bool, error) {
	switch _, err := io.ReadFull(r.src, r.ahead[:]); {
	case err == io.EOF:
		return false, nil
	case err != nil:
		return false, err
	}
	r.carried = true
	return true, nil
}
