package sftp

import (
	"context"
	"os"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
)

// sweepFS gives a sweep of stale temporaries (internal/tmpsweep) the files
// of the store, through the driver's connection.
type sweepFS struct{ d *Driver }

// ReadDir lists dir with the modification times of its entries.
func (f sweepFS) ReadDir(ctx context.Context, dir string) ([]tmpsweep.Entry, error) {
	var out []tmpsweep.Entry
	err := f.d.do(ctx, kv.OpList, dir, func(c *client) error {
		fis, err := c.ReadDir(f.d.path(dir))
		if err != nil {
			return err
		}
		out = make([]tmpsweep.Entry, 0, len(fis))
		for _, fi := range fis {
			out = append(out, tmpsweep.Entry{Name: fi.Name(), Dir: fi.IsDir(), ModTime: fi.ModTime()})
		}
		return nil
	})
	return out, err
}

// Remove removes the file name.
func (f sweepFS) Remove(ctx context.Context, name string) error {
	return f.d.do(ctx, kv.OpDelete, name, func(c *client) error { return c.Remove(f.d.path(name)) })
}

// Touch writes the empty file name, modified now.
func (f sweepFS) Touch(ctx context.Context, name string) error {
	p := f.d.path(name)
	return f.d.do(ctx, kv.OpStore, name, func(c *client) error {
		h, err := c.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		if err := h.Close(); err != nil {
			return err
		}
		now := time.Now()
		return c.Chtimes(p, now, now)
	})
}
