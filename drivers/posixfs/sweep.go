package posixfs

import (
	"context"
	"os"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
)

// sweepFS gives a sweep of stale temporaries (internal/tmpsweep) the files
// below the open root r.
type sweepFS struct{ r *os.Root }

// ReadDir lists dir with the modification times of its entries; an entry
// that vanished meanwhile is left out.
func (f sweepFS) ReadDir(_ context.Context, dir string) ([]tmpsweep.Entry, error) {
	if dir == "" {
		dir = "."
	}
	h, err := f.r.Open(dir)
	if err != nil {
		return nil, wrap(kv.OpList, dir, err)
	}
	defer h.Close()
	ents, err := h.ReadDir(-1)
	if err != nil {
		return nil, wrap(kv.OpList, dir, err)
	}
	out := make([]tmpsweep.Entry, 0, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, tmpsweep.Entry{Name: e.Name(), Dir: e.IsDir(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// Remove removes the file name.
func (f sweepFS) Remove(_ context.Context, name string) error { return f.r.Remove(name) }

// Touch writes the empty file name, modified now.
func (f sweepFS) Touch(_ context.Context, name string) error {
	if err := f.r.WriteFile(name, nil, filePerm); err != nil {
		return err
	}
	now := time.Now()
	return f.r.Chtimes(name, now, now)
}
