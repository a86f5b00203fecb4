package backendkit

import (
	"context"
	"iter"

	"github.com/kvcompose/compose/kv"
)

// ErrorSeq returns a List result that yields only err.
func ErrorSeq(err error) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) { yield(kv.ItemInfo{}, err) }
}

// SliceSeq returns a List result that yields items in order, and stops with
// the context's error (wrapped for op on name) once ctx is done.
func SliceSeq(ctx context.Context, op kv.Op, name string, items []kv.ItemInfo) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				yield(kv.ItemInfo{}, NewError(op, name, nil, err))
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}
