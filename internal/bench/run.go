package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kvcompose/compose/kv"
)

// runSyscalls does the workload with system calls in the new directory dir.
func (w *Workload) runSyscalls(dir string) ([]time.Duration, error) {
	if err := w.precreate(dir); err != nil {
		return nil, err
	}
	paths := make([]string, len(w.keys))
	for i, k := range w.keys {
		paths[i] = filepath.Join(dir, filepath.FromSlash(w.nested(k)))
	}
	t := newTimer()
	for i, p := range paths {
		f, err := os.CreateTemp(filepath.Dir(p), w.keys[i]+".*.tmp")
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(w.values[i]); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		if err := os.Rename(f.Name(), p); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	for _, p := range paths {
		if _, err := os.ReadFile(p); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	buf := make([]byte, partialSize)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		_, err = f.ReadAt(buf, partialOffset)
		f.Close()
		if err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	count := 0
	for i := range 256 {
		ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(w.Namespace), fmt.Sprintf("%02x", i)))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if _, err := e.Info(); err != nil {
				return nil, err
			}
			count++
			w.Done.Add(1)
		}
	}
	if count != len(paths) {
		return nil, fmt.Errorf("listed %d items, want %d", count, len(paths))
	}
	t.lap()
	for _, p := range paths {
		if err := os.Rename(p, p+kv.DeletedSuffix); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	for _, p := range paths {
		if err := os.Remove(p + kv.DeletedSuffix); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	return t.d, nil
}

// runBackend does the workload on the open backend b with the given item
// names, listing dirs. With layered, b is a stack: soft delete and the
// delete of soft-deleted items go through the softdelete layer's options
// and a listing must yield items only; without, b is a driver given
// driver-level names (".del" renames).
func (w *Workload) runBackend(ctx context.Context, b kv.Backend, names, dirs []string, layered bool) ([]time.Duration, error) {
	t := newTimer()
	for i, name := range names {
		if err := b.Store(ctx, name, w.values[i]); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	for _, name := range names {
		if _, err := b.Load(ctx, name); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	for _, name := range names {
		if _, err := b.Load(ctx, name, kv.Range(partialOffset, partialSize)); err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	count := 0
	for _, dir := range dirs {
		for it, err := range b.List(ctx, dir) {
			if err != nil {
				return nil, err
			}
			if layered && it.Directory {
				return nil, fmt.Errorf("listing %s yielded the directory %q: is the namespace nested?", dir, it.Name)
			}
			count++
			w.Done.Add(1)
		}
	}
	if count != len(names) {
		return nil, fmt.Errorf("listed %d items, want %d", count, len(names))
	}
	t.lap()
	for _, name := range names {
		var err error
		if layered {
			err = b.Move(ctx, name, "", kv.SoftDelete())
		} else {
			err = b.Move(ctx, name, name+kv.DeletedSuffix)
		}
		if err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	for _, name := range names {
		var err error
		if layered {
			err = b.Delete(ctx, name, kv.Deleted())
		} else {
			err = b.Delete(ctx, name+kv.DeletedSuffix)
		}
		if err != nil {
			return nil, err
		}
		w.Done.Add(1)
	}
	t.lap()
	return t.d, nil
}
