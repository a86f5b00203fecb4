package kv

import (
	"context"
	"io"
	"sync"
)

// Writer stores one value from the bytes written to it, as an
// io.WriteCloser over Backend.StoreStream: the item appears, whole, when
// Close returns nil. Make it with NewWriter.
//
// Close reports every error of the store. A Writer whose context is
// cancelled, or that is closed with CloseWithError, stores nothing. A
// Writer holds a goroutine until it is closed or its context is done, so a
// Writer abandoned without Close must have its context cancelled.
type Writer struct {
	ctx  context.Context
	pw   *io.PipeWriter
	done chan struct{}
	err  error // StoreStream's result, valid once done is closed
	once sync.Once
}

// NewWriter returns a Writer that stores what is written to it under name
// in b. size is the number of bytes that will be written, or -1 when
// unknown; opts are the options of StoreStream.
func NewWriter(ctx context.Context, b Backend, name string, size int64, opts ...Option) *Writer {
	pr, pw := io.Pipe()
	w := &Writer{ctx: ctx, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = b.StoreStream(ctx, name, pr, size, opts...)
		// Unblock a Write that the store no longer reads.
		if w.err != nil {
			pr.CloseWithError(w.err)
		} else {
			pr.CloseWithError(io.ErrClosedPipe)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			pw.CloseWithError(ctx.Err())
		case <-w.done:
		}
	}()
	return w
}

// Write writes p to the value. An error means the store has failed; Close
// says why.
func (w *Writer) Write(p []byte) (int, error) { return w.pw.Write(p) }

// Close ends the value and waits for the store: nil means the item is
// stored, whole.
func (w *Writer) Close() error {
	w.once.Do(func() {
		// A context cancelled before Close abandons the value, even if
		// the store has read every byte already.
		if err := w.ctx.Err(); err != nil {
			w.pw.CloseWithError(err)
		} else {
			w.pw.Close()
		}
	})
	<-w.done
	return w.err
}

// CloseWithError abandons the value: nothing is stored, and the store
// fails with err (or io.ErrClosedPipe when err is nil), which
// CloseWithError returns.
func (w *Writer) CloseWithError(err error) error {
	if err == nil {
		err = io.ErrClosedPipe
	}
	w.once.Do(func() { w.pw.CloseWithError(err) })
	<-w.done
	return w.err
}
