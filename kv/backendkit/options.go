package backendkit

import (
	"fmt"
	"slices"

	"github.com/kvcompose/compose/kv"
)

// Has reports whether opts holds an option of kind k.
func Has(opts []kv.Option, k kv.OptionKind) bool {
	for _, o := range opts {
		if o.Kind() == k {
			return true
		}
	}
	return false
}

// Without returns opts less the options of the given kinds. It returns opts
// itself, without allocating, when none of them is present.
func Without(opts []kv.Option, kinds ...kv.OptionKind) []kv.Option {
	i := slices.IndexFunc(opts, func(o kv.Option) bool { return slices.Contains(kinds, o.Kind()) })
	if i < 0 {
		return opts
	}
	out := make([]kv.Option, i, len(opts))
	copy(out, opts[:i])
	for _, o := range opts[i+1:] {
		if !slices.Contains(kinds, o.Kind()) {
			out = append(out, o)
		}
	}
	return out
}

// RangeOf returns the last Range in opts.
func RangeOf(opts []kv.Option) (offset, size int64, ok bool) {
	for _, o := range opts {
		if o.Kind() == kv.KindRange {
			offset, size = o.Span()
			ok = true
		}
	}
	return offset, size, ok
}

// DefragTarget returns the Defrag target in opts: a given name, or else the
// hash algorithm that names it ("sha256" when opts names neither).
func DefragTarget(opts []kv.Option) (name, algorithm string) {
	algorithm = kv.DefaultHash
	for _, o := range opts {
		switch o.Kind() {
		case kv.KindTarget:
			name = o.Arg()
		case kv.KindTargetHash:
			algorithm = o.Arg()
		}
	}
	return name, algorithm
}

// CheckOptions returns an ErrUnsupported error for op on name if opts holds
// an option whose kind is not in allowed. An option that a layer consumes
// is reported as needing that layer, so a soft delete that reached a driver
// says that no soft-delete layer is in the stack. Drivers call it through
// Lifecycle.Begin.
func CheckOptions(op kv.Op, name string, opts []kv.Option, allowed ...kv.OptionKind) error {
	for _, o := range opts {
		if slices.Contains(allowed, o.Kind()) {
			continue
		}
		if n := o.Kind().Layer(); n != "" {
			return NewError(op, name, kv.ErrUnsupported,
				fmt.Errorf("option %s needs %s, and no layer in the stack consumed it", o.Kind(), n))
		}
		return NewError(op, name, kv.ErrUnsupported, fmt.Errorf("option %s does not apply to %s", o, op))
	}
	return nil
}

// ClampRange turns a Range (offset, size) into the half-open byte interval
// [start, end) of a value of length n, following docs/semantics.md: a negative
// offset counts from the end and is clamped to the start, a negative size
// means to the end, and anything past the end is cut.
func ClampRange(n, offset, size int64) (start, end int64) {
	if offset < 0 {
		offset = max(n+offset, 0)
	}
	start = min(offset, n)
	if size < 0 {
		return start, n
	}
	return start, start + min(size, n-start)
}
