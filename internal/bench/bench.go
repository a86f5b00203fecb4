// Package bench is the workload of "kvcompose bench": N items of SIZE bytes
// stored, loaded, partly loaded, listed, soft-deleted and deleted, timed per
// phase, in one or more ways (plain syscalls, a driver alone, a full stack)
// so that each way can be compared with the others.
package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Phases are the phases of the workload, in the order they run; every way
// returns one duration per phase.
var Phases = []string{"store", "load", "partial load", "list", "soft delete", "delete"}

// MinSize is the smallest item size: the partial load reads 128 bytes at
// offset 64.
const MinSize = 192

// Partial load: the range every way reads in the "partial load" phase.
const (
	partialOffset = 64
	partialSize   = 128
)

// Workload is the items every way stores: values and their keys (the hex
// SHA-256 of each value), always the same for the same N and SIZE.
type Workload struct {
	// Namespace is where the Store way puts the items ("data" by default).
	Namespace string
	// Done counts the operations done so far, over all rounds and ways:
	// read it from another goroutine to show progress.
	Done atomic.Int64

	values [][]byte
	keys   []string
}

// NewWorkload makes n items of size bytes of pseudo-random content in the
// namespace "data". It needs n >= 1 and size >= MinSize.
func NewWorkload(n, size int) (*Workload, error) {
	if n < 1 || size < MinSize {
		return nil, fmt.Errorf("bench: need n >= 1 and size >= %d (the partial load reads %d bytes at %d), got n %d, size %d",
			MinSize, partialSize, partialOffset, n, size)
	}
	w := &Workload{Namespace: "data", values: make([][]byte, n), keys: make([]string, n)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(r.Uint32())
		}
		sum := sha256.Sum256(v)
		w.values[i], w.keys[i] = v, hex.EncodeToString(sum[:])
	}
	return w, nil
}

// N returns the number of items.
func (w *Workload) N() int { return len(w.keys) }

// Size returns the size of each item in bytes.
func (w *Workload) Size() int { return len(w.values[0]) }

// Ops returns the number of operations one run of the workload makes
// (every phase does N), so that rounds x ways x Ops is the final Done.
func (w *Workload) Ops() int64 { return int64(len(Phases) * w.N()) }

// Way is one implementation of the workload. Run does the round-th run on a
// fresh store and returns the duration of each phase.
type Way struct {
	Name string
	Run  func(ctx context.Context, round int, w *Workload) ([]time.Duration, error)
}

// Result is the best duration of each phase per way.
type Result struct {
	Ways   []string
	Best   [][]time.Duration // Best[way][phase]
	N      int
	Size   int
	Rounds int
}

// Run runs every way rounds times, interleaved (round 1 of every way, then
// round 2, ...), so that a disturbance of the machine hits all ways alike,
// and keeps the best round of each phase. Before each run it asks the
// operating system to write back dirty data (where it can), so that the
// previous run's writeback does not land in this one's timings.
func Run(ctx context.Context, ways []Way, w *Workload, rounds int) (*Result, error) {
	if rounds < 1 || len(ways) == 0 {
		return nil, fmt.Errorf("bench: need at least one way and one round")
	}
	res := &Result{Best: make([][]time.Duration, len(ways)), N: w.N(), Size: w.Size(), Rounds: rounds}
	for _, wy := range ways {
		res.Ways = append(res.Ways, wy.Name)
	}
	for r := range rounds {
		for i, wy := range ways {
			syncDisks()
			d, err := wy.Run(ctx, r, w)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", wy.Name, err)
			}
			if len(d) != len(Phases) {
				return nil, fmt.Errorf("%s: %d phase durations, want %d", wy.Name, len(d), len(Phases))
			}
			if res.Best[i] == nil {
				res.Best[i] = d
				continue
			}
			for p := range d {
				res.Best[i][p] = min(res.Best[i][p], d[p])
			}
		}
	}
	return res, nil
}

// WriteTable writes the result as an aligned table: per phase the number
// of operations, the microseconds per operation of the first way, and for
// every further way its microseconds per operation and the ratio to the
// first way.
func (r *Result) WriteTable(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "phase\tops\t", r.Ways[0], " µs/op\t")
	for _, name := range r.Ways[1:] {
		fmt.Fprint(tw, name, " µs/op\tratio\t")
	}
	fmt.Fprintln(tw)
	for p, name := range Phases {
		us := func(i int) float64 { return float64(r.Best[i][p].Nanoseconds()) / 1e3 / float64(r.N) }
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t", name, r.N, us(0))
		for i := range r.Ways[1:] {
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
