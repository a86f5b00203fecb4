package rclone

import (
	"context"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
)

// sweepFS gives a sweep of stale temporaries (internal/tmpsweep) the files
// of the store, through the rcd s.
type sweepFS struct {
	d *Driver
	s *server
}

// startSweep starts the sweep of an open store on a remote with
// directories; on an object store an upload is atomic and Store writes no
// temporaries, so there is nothing to sweep.
func (d *Driver) startSweep(s *server) *tmpsweep.Sweeper {
	if s.bucketBased {
		return nil
	}
	return tmpsweep.Start(sweepFS{d, s}, time.Now())
}

// ReadDir lists dir with the modification times of its entries.
func (f sweepFS) ReadDir(ctx context.Context, dir string) ([]tmpsweep.Entry, error) {
	var out struct {
		List []struct {
			Name    string    `json:"Name"`
			IsDir   bool      `json:"IsDir"`
			ModTime time.Time `json:"ModTime"`
		} `json:"list"`
	}
	err := f.s.call(ctx, f.d.cfg, "operations/list", params{"fs": f.d.remote, "remote": dir, "opt": params{"noMimeType": true}}, &out)
	if err != nil {
		return nil, f.s.kvError(kv.OpList, dir, err)
	}
	entries := make([]tmpsweep.Entry, 0, len(out.List))
	for _, e := range out.List {
		entries = append(entries, tmpsweep.Entry{Name: e.Name, Dir: e.IsDir, ModTime: e.ModTime})
	}
	return entries, nil
}

// Remove removes the file name.
func (f sweepFS) Remove(ctx context.Context, name string) error {
	return f.s.call(ctx, f.d.cfg, "operations/deletefile", params{"fs": f.d.remote, "remote": name}, nil)
}

// Touch uploads the empty file name, which rclone dates now.
func (f sweepFS) Touch(ctx context.Context, name string) error {
	return f.s.upload(ctx, f.d.cfg, f.d.remote, "", name, nil)
}
