package backendkit

import (
	"context"
	"errors"
	"io"
)

// ProgressChunk is the size of the pieces in which a driver moves a value
// when a caller asked for progress (WithProgress): one report per piece.
const ProgressChunk = 4 << 20

type progressKey struct{}

// WithProgress returns a copy of ctx under which Load and Store report how
// many bytes of the value they have moved so far, by calling report (from
// the calling goroutine, or from one at a time), for a progress bar. It
// observes and changes nothing: the drivers that move a value in pieces
// (posixfs, sftp, s3) report after each piece of ProgressChunk bytes; the
// others move it at once and report nothing. A call that is retried
// reports from 0 again.
func WithProgress(ctx context.Context, report func(done int64)) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

// ProgressOf returns the report function that WithProgress put in ctx, or
// nil. A driver checks it once per Load or Store, and keeps its fastest
// path when it is nil.
func ProgressOf(ctx context.Context) func(done int64) {
	f, _ := ctx.Value(progressKey{}).(func(int64))
	return f
}

// Chunks runs f over [0, n) in pieces of ProgressChunk bytes, [off, end),
// and reports end after each; it stops at the first error. A driver moves
// a value with it when ProgressOf gives a report function.
func Chunks(n int64, report func(done int64), f func(off, end int64) error) error {
	for off := int64(0); off < n; off += ProgressChunk {
		end := min(off+ProgressChunk, n)
		if err := f(off, end); err != nil {
			return err
		}
		report(end)
	}
	return nil
}

// ProgressReader counts the bytes read from R and reports the running
// count to Report. Len is the number of bytes left when R has a Len method
// (a *bytes.Reader), so that readers that size their work by it still can.
type ProgressReader struct {
	R      io.Reader
	Report func(done int64)
	done   int64
}

// Read reads from R and reports.
func (p *ProgressReader) Read(b []byte) (int, error) {
	n, err := p.R.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.Report(p.done)
	}
	return n, err
}

// Seek seeks R, which must be an io.Seeker, and counts from the new
// offset: a client that rewinds a body to send it again reports anew.
func (p *ProgressReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := p.R.(io.Seeker)
	if !ok {
		return 0, errors.New("kv: ProgressReader: the reader cannot seek")
	}
	n, err := s.Seek(offset, whence)
	if err == nil {
		p.done = n
	}
	return n, err
}

// Len returns the bytes left in R, or -1 when R does not say.
func (p *ProgressReader) Len() int {
	if l, ok := p.R.(interface{ Len() int }); ok {
		return l.Len()
	}
	return -1
}
