package retry

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream forwards LoadStream, whose call (opening the stream, before
// its first byte) is retried as Load is. A failure in the middle of the
// stream is returned by its Read, not resumed: the layer cannot tell that
// a second stream would read the same version of the value.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if !Retryable(err) {
		return rc, err
	}
	return again(ctx, l, kv.OpLoad, name, nil, err, func() (io.ReadCloser, error) { return l.next.LoadStream(ctx, name, opts...) })
}

// StoreStream forwards StoreStream, retried on the errors Store is
// retried on, but only while src can give the value again: when the
// failed try read nothing from src, or when src is an io.Seeker, which is
// sought back to where it was when StoreStream was called (its position
// then is taken with Seek(0, io.SeekCurrent)). Otherwise the error of the
// try is returned as it is.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	var read int64
	counted := backendkit.ObserveSource(src, func(n int) { read += int64(n) }, nil)
	start, seekable := int64(0), false
	if s, ok := src.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
			start, seekable = pos, true
		}
	}
	// try stores once from counted, rewound first if the last try read
	// from it; the error of a try that src cannot be rewound after is
	// returned as final, not retried.
	var last error
	try := func() error {
		if read > 0 {
			if _, err := counted.Seek(start, io.SeekStart); err != nil {
				return final{last}
			}
			read = 0
		}
		last = l.next.StoreStream(ctx, name, counted, size, opts...)
		if read > 0 && !seekable && Retryable(last) {
			return final{last}
		}
		return last
	}
	err := try()
	if !Retryable(err) {
		return unfinal(err)
	}
	_, err = again(ctx, l, kv.OpStore, name, nil, err, errOnly(try))
	return unfinal(err)
}

// final carries an error that again must not retry (it hides the
// sentinels of err from Retryable); unfinal takes err out again.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }

// unfinal returns the error err carries if it is a final, else err.
func unfinal(err error) error {
	if f, ok := err.(final); ok {
		return f.err
	}
	return err
}
