package backendkit

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// Interruptible returns src for a driver's StoreStream so that a Read that
// blocks (a source that stalls) returns once ctx is done: when src has a
// read deadline (SetReadDeadline: the read end of an os.Pipe, a net.Conn),
// Interruptible moves it to the past when ctx is done, and the Read's
// timeout then reads as the context's error. A src without one is given
// back as it is: its blocked Read returns only when src gives up (kv.Writer
// closes its pipe when its context is done). Read the result through
// Source, which checks ctx before every Read.
//
// release must be called once the driver is done with src: if the deadline
// was moved, it waits for that and clears the deadline again, so that the
// caller gets src back usable.
func Interruptible(ctx context.Context, src io.Reader) (r io.Reader, release func()) {
	d, ok := src.(interface{ SetReadDeadline(time.Time) error })
	if !ok || ctx.Done() == nil {
		return src, func() {}
	}
	moved := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(moved)
		_ = d.SetReadDeadline(time.Unix(1, 0))
	})
	release = func() {
		if !stop() {
			<-moved
			_ = d.SetReadDeadline(time.Time{})
		}
	}
	return &interruptible{ctx: ctx, src: src}, release
}

// interruptible reads src, reporting a Read stopped by the deadline that
// Interruptible set as the context's error.
type interruptible struct {
	ctx context.Context
	src io.Reader
}

func (i *interruptible) Read(p []byte) (int, error) {
	n, err := i.src.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := i.ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	return n, err
}
