package observe

import (
	"iter"
	"time"

	"github.com/kvcompose/compose/kv"
)

// ListResult is what one iteration of a List did.
type ListResult struct {
	// Items is the number of items yielded without an error.
	Items int
	// Err is the first error yielded, or nil.
	Err error
	// Inside is the time spent inside the backend's iterator, not in the
	// caller's loop body; zero when no clock was given.
	Inside time.Duration
	// Abandoned is true when the caller stopped the iteration early.
	Abandoned bool
}

// List ranges seq, passing each entry on to yield, and calls done once
// with what the iteration did when it ends: at the end of seq, when yield
// returns false, or when yield panics. With now == nil, no time is
// measured.
func List(seq iter.Seq2[kv.ItemInfo, error], now func() time.Time,
	yield func(kv.ItemInfo, error) bool, done func(ListResult)) {
	var (
		r       ListResult
		resumed time.Time
		inYield bool
	)
	clock := func() time.Time {
		if now == nil {
			return time.Time{}
		}
		return now()
	}
	resumed = clock()
	defer func() {
		// Runs also when the caller's loop body panics.
		if !inYield {
			r.Inside += clock().Sub(resumed)
		}
		done(r)
	}()
	for it, err := range seq {
		if err != nil {
			if r.Err == nil {
				r.Err = err
			}
		} else {
			r.Items++
		}
		r.Inside += clock().Sub(resumed)
		inYield = true
		if !yield(it, err) {
			r.Abandoned = true
			return // the time since is the caller's
		}
		inYield = false
		resumed = clock()
	}
}
