// Command kvbench measures the cost of kvcompose's posixfs driver and of the
// full compose.Open stack against plain syscalls doing the same work.
//
// It writes N items of SIZE bytes (keys: hex sha256 of the value) into
// data/ with nesting level 1 and times, per phase, store, load, partial load
// (offset 64, size 128), list, soft delete and delete of the soft-deleted
// items, three ways in one process:
//
//   - syscalls: temp file + rename, ReadFile, ReadAt, ReadDir (+ Info for
//     the size, as List reports it), rename, remove: the floor;
//   - posixfs: the drivers/posixfs driver alone, given nested names;
//   - compose: the full compose.Open stack (tracing with the no-op provider,
//     stats, softdelete, nesting) over posixfs;
//   - rclone (with -rclone): the drivers/rclone driver on a local-disk
//     remote of the same disk, one rclone rcd for the run.
//
// Usage:
//
//	go run ./cmd/kvbench [-n 20000] [-size 4096] [-rounds 3] [-dir /tmp] [-rclone]
//
// Each way runs -rounds times, interleaved, on a fresh store; the table
// shows the best round of each phase (the least disturbed by other work on
// the machine) and the ratio to syscalls.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rclone"
	"github.com/kvcompose/compose/kv"
)

var phases = []string{"store", "load", "partial load", "list", "soft delete", "delete"}

// way is one implementation of the workload; run returns the duration of
// each phase.
type way struct {
	name string
	run  func(ctx context.Context, dir string, w *workload) ([]time.Duration, error)
}

// workload is the items every way stores: values and their keys.
type workload struct {
	values [][]byte
	keys   []string
}

func newWorkload(n, size int) *workload {
	w := &workload{values: make([][]byte, n), keys: make([]string, n)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(r.Uint32())
		}
		sum := sha256.Sum256(v)
		w.values[i], w.keys[i] = v, hex.EncodeToString(sum[:])
	}
	return w
}

func main() {
	n := flag.Int("n", 20000, "number of items")
	size := flag.Int("size", 4096, "bytes per item")
	rounds := flag.Int("rounds", 3, "rounds per way; the best round of each phase is shown")
	dir := flag.String("dir", "", "directory for the stores (default: a new temporary directory)")
	withRclone := flag.Bool("rclone", false, "also run the workload through the rclone driver on a local-disk remote (needs rclone)")
	flag.Parse()
	if *n < 1 || *size < 192 || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "kvbench: need -n >= 1, -size >= 192 (the partial load reads 128 bytes at 64), -rounds >= 1")
		os.Exit(2)
	}
	ways := []way{{"syscalls", runSyscalls}, {"posixfs", runPosixfs}, {"compose", runStack}}
	if *withRclone {
		ways = append(ways, way{"rclone", runRclone})
	}
	if err := run(ways, *n, *size, *rounds, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "kvbench:", err)
		os.Exit(1)
	}
}

func run(ways []way, n, size, rounds int, dir string) error {
	ctx := context.Background()
	top, err := os.MkdirTemp(dir, "kvbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(top)
	w := newWorkload(n, size)
	best := make([][]time.Duration, len(ways))
	for r := range rounds {
		for i, wy := range ways {
			// Write back what the previous way left dirty, so that its
			// writeback does not land in this way's timings.
			syscall.Sync()
			d, err := wy.run(ctx, filepath.Join(top, fmt.Sprintf("%s-%d", wy.name, r)), w)
			if err != nil {
				return fmt.Errorf("%s: %w", wy.name, err)
			}
			if best[i] == nil {
				best[i] = d
				continue
			}
			for p := range d {
				best[i][p] = min(best[i][p], d[p])
			}
		}
	}
	fmt.Printf("kvbench: %d items of %d bytes in data/ (nesting level 1), best of %d rounds, under %s\n\n", n, size, rounds, top)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "phase\tops\t", ways[0].name, " µs/op\t")
	for _, wy := range ways[1:] {
		fmt.Fprint(tw, wy.name, " µs/op\tratio\t")
	}
	fmt.Fprintln(tw)
	for p, name := range phases {
		us := func(i int) float64 { return float64(best[i][p].Nanoseconds()) / 1e3 / float64(n) }
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t", name, n, us(0))
		for i := range ways[1:] {
			fmt.Fprintf(tw, "%.2f\t%.2fx\t", us(i+1), us(i+1)/us(0))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// timer collects the duration of each phase.
type timer struct {
	start time.Time
	d     []time.Duration
}

func newTimer() *timer { return &timer{start: time.Now()} }

func (t *timer) lap() {
	now := time.Now()
	t.d = append(t.d, now.Sub(t.start))
	t.start = now
}

// precreate makes data/00 .. data/ff, as the nesting layer does on Create.
func precreate(dir string) error {
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(dir, "data", fmt.Sprintf("%02x", i)), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func nested(key string) string { return "data/" + key[:2] + "/" + key }

func runSyscalls(_ context.Context, dir string, w *workload) ([]time.Duration, error) {
	if err := precreate(dir); err != nil {
		return nil, err
	}
	paths := make([]string, len(w.keys))
	for i, k := range w.keys {
		paths[i] = filepath.Join(dir, nested(k))
	}
	t := newTimer()
	for i, p := range paths {
		f, err := os.CreateTemp(filepath.Dir(p), w.keys[i]+".*.tmp")
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(w.values[i]); err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		if err := os.Rename(f.Name(), p); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, p := range paths {
		if _, err := os.ReadFile(p); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, 128)
		if _, err := f.ReadAt(buf, 64); err != nil {
			return nil, err
		}
		f.Close()
	}
	t.lap()
	count := 0
	for i := range 256 {
		ents, err := os.ReadDir(filepath.Join(dir, "data", fmt.Sprintf("%02x", i)))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if _, err := e.Info(); err != nil {
				return nil, err
			}
			count++
		}
	}
	if count != len(paths) {
		return nil, fmt.Errorf("listed %d items, want %d", count, len(paths))
	}
	t.lap()
	for _, p := range paths {
		if err := os.Rename(p, p+".del"); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, p := range paths {
		if err := os.Remove(p + ".del"); err != nil {
			return nil, err
		}
	}
	t.lap()
	return t.d, nil
}

// runPosixfs runs the workload on the posixfs driver alone.
func runPosixfs(ctx context.Context, dir string, w *workload) ([]time.Duration, error) {
	d, err := posixfs.New(dir)
	if err != nil {
		return nil, err
	}
	return runDriver(ctx, dir, d, w)
}

// runRclone runs the workload on the rclone driver over a local-disk
// remote; starting rclone rcd (in Open) is not timed.
func runRclone(ctx context.Context, dir string, w *workload) ([]time.Duration, error) {
	return runDriver(ctx, dir, rclone.New(":local:"+dir), w)
}

// runDriver runs the workload on the driver d, on a store in dir with the
// nesting directories made ahead, giving it nested names.
func runDriver(ctx context.Context, dir string, d kv.Backend, w *workload) ([]time.Duration, error) {
	if err := precreate(dir); err != nil {
		return nil, err
	}
	if err := d.Open(ctx); err != nil {
		return nil, err
	}
	defer d.Close(ctx)
	names := make([]string, len(w.keys))
	for i, k := range w.keys {
		names[i] = nested(k)
	}
	t := newTimer()
	for i, name := range names {
		if err := d.Store(ctx, name, w.values[i]); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if _, err := d.Load(ctx, name); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if _, err := d.Load(ctx, name, kv.Range(64, 128)); err != nil {
			return nil, err
		}
	}
	t.lap()
	count := 0
	for i := range 256 {
		for _, err := range d.List(ctx, fmt.Sprintf("data/%02x", i)) {
			if err != nil {
				return nil, err
			}
			count++
		}
	}
	if count != len(names) {
		return nil, fmt.Errorf("listed %d items, want %d", count, len(names))
	}
	t.lap()
	for _, name := range names {
		if err := d.Move(ctx, name, name+kv.DeletedSuffix); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if err := d.Delete(ctx, name+kv.DeletedSuffix); err != nil {
			return nil, err
		}
	}
	t.lap()
	return t.d, nil
}

func runStack(ctx context.Context, dir string, w *workload) ([]time.Duration, error) {
	s, err := compose.Open("file://"+filepath.ToSlash(dir), compose.WithLevels(map[string][]int{"data/": {1}}), compose.WithoutThrottle())
	if err != nil {
		return nil, err
	}
	if err := s.Create(ctx); err != nil {
		return nil, err
	}
	if err := s.Open(ctx); err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	names := make([]string, len(w.keys))
	for i, k := range w.keys {
		names[i] = "data/" + k
	}
	t := newTimer()
	for i, name := range names {
		if err := s.Store(ctx, name, w.values[i]); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if _, err := s.Load(ctx, name); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if _, err := s.Load(ctx, name, kv.Range(64, 128)); err != nil {
			return nil, err
		}
	}
	t.lap()
	count := 0
	for it, err := range s.List(ctx, "data") {
		if err != nil {
			return nil, err
		}
		if it.Directory {
			return nil, fmt.Errorf("listed a directory %q", it.Name)
		}
		count++
	}
	if count != len(names) {
		return nil, fmt.Errorf("listed %d items, want %d", count, len(names))
	}
	t.lap()
	for _, name := range names {
		if err := s.Move(ctx, name, "", kv.SoftDelete()); err != nil {
			return nil, err
		}
	}
	t.lap()
	for _, name := range names {
		if err := s.Delete(ctx, name, kv.Deleted()); err != nil {
			return nil, err
		}
	}
	t.lap()
	return t.d, nil
}
