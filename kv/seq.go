package kv

import (
	"context"
	"iter"
)

// ErrorSeq returns a List result that yields only err.
func ErrorSeq(err error) iter.Seq2[ItemInfo, error] {
	return func(yield func(ItemInfo, error) bool) { yield(ItemInfo{}, err) }
}

// SliceSeq returns a List result that yields items in order, and stops with
// the context's error (wrapped for op on name) once ctx is done.
func SliceSeq(ctx context.Context, op Op, name string, items []ItemInfo) iter.Seq2[ItemInfo, error] {
	return func(yield func(ItemInfo, error) bool) {
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				yield(ItemInfo{}, NewError(op.String(), name, nil, err))
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}
