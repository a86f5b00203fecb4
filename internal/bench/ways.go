package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kvcompose/compose/kv"
)

// nested returns the driver-level name of key at nesting level 1.
func (w *Workload) nested(key string) string { return w.Namespace + "/" + key[:2] + "/" + key }

// precreate makes NS/00 .. NS/ff under dir, as the nesting layer does on
// Create for level 1.
func (w *Workload) precreate(dir string) error {
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(w.Namespace), fmt.Sprintf("%02x", i)), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Syscalls is the floor: the workload done with plain system calls in a new
// directory under dir per round, with the item files at nesting level 1
// (temp file + rename, ReadFile, ReadAt, ReadDir plus a stat for the size
// as List reports it, rename to ".del", remove).
func Syscalls(dir string) Way {
	return Way{Name: "syscalls", Run: func(_ context.Context, round int, w *Workload) ([]time.Duration, error) {
		return w.runSyscalls(filepath.Join(dir, fmt.Sprintf("syscalls-%d", round)))
	}}
}

// Driver runs the workload on a driver alone, given nested names (level 1)
// in directories made ahead. open returns the driver of a store in the new
// directory it is given (one per round, under dir).
func Driver(name, dir string, open func(dir string) (kv.Backend, error)) Way {
	return Way{Name: name, Run: func(ctx context.Context, round int, w *Workload) ([]time.Duration, error) {
		d := filepath.Join(dir, fmt.Sprintf("%s-%d", name, round))
		if err := w.precreate(d); err != nil {
			return nil, err
		}
		b, err := open(d)
		if err != nil {
			return nil, err
		}
		if err := b.Open(ctx); err != nil {
			return nil, err
		}
		names := make([]string, len(w.keys))
		for i, k := range w.keys {
			names[i] = w.nested(k)
		}
		dirs := make([]string, 256)
		for i := range dirs {
			dirs[i] = fmt.Sprintf("%s/%02x", w.Namespace, i)
		}
		res, err := w.runBackend(ctx, b, names, dirs, false)
		return res, errors.Join(err, b.Close(context.WithoutCancel(ctx)))
	}}
}

// Store runs the workload on a full stack (soft delete needs its softdelete
// layer) with the names NAMESPACE/KEY. open returns the stack of the
// round-th run; the run creates the store, opens it, runs the workload,
// closes and destroys it. A store that exists already makes Create fail,
// and is left alone.
func Store(name string, open func(round int) (kv.Backend, error)) Way {
	return Way{Name: name, Run: func(ctx context.Context, round int, w *Workload) ([]time.Duration, error) {
		s, err := open(round)
		if err != nil {
			return nil, err
		}
		if err := s.Create(ctx); err != nil {
			return nil, err
		}
		if err := s.Open(ctx); err != nil {
			return nil, errors.Join(err, s.Destroy(context.WithoutCancel(ctx)))
		}
		names := make([]string, len(w.keys))
		for i, k := range w.keys {
			names[i] = w.Namespace + "/" + k
		}
		res, err := w.runBackend(ctx, s, names, []string{w.Namespace}, true)
		bg := context.WithoutCancel(ctx)
		return res, errors.Join(err, s.Close(bg), s.Destroy(bg))
	}}
}
