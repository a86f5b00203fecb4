package memory

import (
	"bytes"
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream reads the value of name, or the part a kv.Range selects, from
// the stored value itself, without a copy: a value is never changed once
// stored (Store and StoreStream put a new one in its place), so the reader
// sees the version it opened.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	d.s.mu.RLock()
	v, err := d.s.value(op, name)
	d.s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if offset, size, ok := backendkit.RangeOf(opts); ok {
		start, end := backendkit.ClampRange(int64(len(v)), offset, size)
		v = v[start:end]
	}
	return io.NopCloser(bytes.NewReader(v)), nil
}

// StoreStream reads src into memory, in a buffer grown as bytes arrive
// (never by the size declared alone), and stores it as Store does once src
// has given the whole value (backendkit.Source): a memory store holds its
// values in memory, so this is its native form. A failure, a size that
// lies or a cancelled context stores nothing.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	in, release := backendkit.Interruptible(ctx, src)
	defer release()
	v, err := readValue(backendkit.Source(ctx, name, in, size), size)
	if err != nil {
		return err
	}
	return d.s.store(op, name, v)
}

// firstRead is the room readValue starts with.
const firstRead = 4096

// readValue reads r to its end into a slice that it grows as bytes arrive:
// doubling, and never past size+1 bytes when size is known (the byte past
// size makes r fail), so that a value of the size declared ends in a slice
// of its size, and a size that lies costs no more than the bytes that
// arrived.
func readValue(r io.Reader, size int64) ([]byte, error) {
	c := int64(firstRead)
	if size >= 0 {
		c = min(c, size+1)
	}
	v := make([]byte, 0, c)
	for {
		if len(v) == cap(v) {
			c := int64(2 * cap(v))
			if size >= 0 {
				c = max(min(c, size+1), int64(len(v))+1)
			}
			v = append(make([]byte, 0, c), v...)
		}
		n, err := r.Read(v[len(v):cap(v)])
		v = v[:len(v)+n]
		if err == io.EOF {
			return v[:len(v):len(v)], nil
		}
		if err != nil {
			return nil, err
		}
	}
}
