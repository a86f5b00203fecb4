package kv

import "iter"

// Unwrapper is implemented by layers: Unwrap returns the Backend below.
type Unwrapper interface {
	Unwrap() Backend
}

// Stack yields b and every Backend below it, outermost first, following
// Unwrapper until a Backend that does not implement it (the driver).
func Stack(b Backend) iter.Seq[Backend] {
	return func(yield func(Backend) bool) {
		for b != nil {
			if !yield(b) {
				return
			}
			u, ok := b.(Unwrapper)
			if !ok {
				return
			}
			b = u.Unwrap()
		}
	}
}

// As walks down the stack from b and returns the first Backend that is a T:
// a layer or driver type (*stats.Layer) or an interface (Describer).
//
//	st, ok := kv.As[*stats.Layer](store)
func As[T any](b Backend) (T, bool) {
	for x := range Stack(b) {
		if t, ok := x.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// Properties describes what a driver is, for the layers above it: tracing
// names the scheme and the server, nesting pre-creates directories where it
// helps, compose chooses defaults for network drivers.
type Properties struct {
	// Scheme is the URL scheme of the driver: "file", "mem", "sftp", ...
	Scheme string
	// Remote is true when calls cross a network (or a child process).
	Remote bool
	// Precreate is true when directories created ahead of time (the
	// nesting layer's Create) save work on later stores.
	Precreate bool
	// Flat is true when directories are only prefixes of names (an object
	// store) and List takes Recursive: one paged listing of everything
	// below a directory costs less than a walk of its subdirectories.
	Flat bool
	// Address and Port name the server of a remote driver, where one is
	// known; empty and 0 otherwise.
	Address string
	Port    int
}

// Describer is implemented by drivers to give their Properties.
type Describer interface {
	Properties() Properties
}

// PropertiesOf returns the Properties of the driver at the bottom of the
// stack from b (the first Describer found walking down), or the zero
// Properties.
func PropertiesOf(b Backend) Properties {
	if d, ok := As[Describer](b); ok {
		return d.Properties()
	}
	return Properties{}
}
