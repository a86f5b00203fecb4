package kvtest

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// NewFunc returns a fresh backend that is not created yet, at a location
// of its own.
type NewFunc func(t *testing.T) kv.Backend

// TestBackend runs every driver-level rule of docs/semantics.md against backends
// made by newBackend; see the package documentation for the list.
func TestBackend(t *testing.T, newBackend NewFunc) {
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newBackend) })
	t.Run("Recognize", func(t *testing.T) { testRecognize(t, newBackend) })
	t.Run("CheckOrder", func(t *testing.T) { testCheckOrder(t, newBackend) })
	t.Run("Names", func(t *testing.T) { testNames(t, OpenStore(t, newBackend(t))) })
	t.Run("Items", func(t *testing.T) { testItems(t, newBackend) })
	t.Run("Ranges", func(t *testing.T) { testRanges(t, OpenStore(t, newBackend(t))) })
	t.Run("Hash", func(t *testing.T) { testHash(t, OpenStore(t, newBackend(t))) })
	t.Run("Defrag", func(t *testing.T) { testDefrag(t, OpenStore(t, newBackend(t))) })
	t.Run("Quota", func(t *testing.T) { testQuota(t, OpenStore(t, newBackend(t))) })
	t.Run("LayerOptions", func(t *testing.T) { testLayerOptions(t, OpenStore(t, newBackend(t))) })
	t.Run("Context", func(t *testing.T) { testContext(t, OpenStore(t, newBackend(t))) })
	t.Run("Recursive", func(t *testing.T) { testRecursive(t, OpenStore(t, newBackend(t))) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, OpenStore(t, newBackend(t))) })
	t.Run("Stream", func(t *testing.T) { testStream(t, OpenStore(t, newBackend(t))) })
}

// ctx is the context of the checks: t.Context, which ends with the test.
func ctx(t *testing.T) context.Context { return t.Context() }

// noErr fails the test now if err is not nil.
func noErr(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf(what+": %v", append(args, err)...)
	}
}

// isErr reports an error unless err wraps want.
func isErr(t *testing.T, err, want error, what string, args ...any) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf(what+": got error %v, want %v", append(args, err, want)...)
	}
}

// value is what the helpers take as a value.
type value interface{ ~string | ~[]byte }

// store stores value under name, failing the test on an error.
func store[V value](t *testing.T, b kv.Backend, name string, value V) {
	t.Helper()
	noErr(t, b.Store(ctx(t), name, []byte(value)), "store %q", name)
}

// load checks that name (with opts) holds want.
func load[V value](t *testing.T, b kv.Backend, name string, want V, opts ...kv.Option) {
	t.Helper()
	got, err := b.Load(ctx(t), name, opts...)
	if err != nil {
		t.Errorf("load %q %v: %v", name, opts, err)
		return
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Errorf("load %q %v: got %q, want %q", name, opts, short(got), short([]byte(want)))
	}
}

// exists checks what Info (with opts) says about the existence of name;
// an existing item must be reported under the name asked for.
func exists(t *testing.T, b kv.Backend, name string, want bool, opts ...kv.Option) {
	t.Helper()
	info, err := b.Info(ctx(t), name, opts...)
	switch {
	case err != nil:
		t.Errorf("info %q %v: %v", name, opts, err)
	case info.Exists != want:
		t.Errorf("info %q %v: Exists = %v, want %v", name, opts, info.Exists, want)
	case want && !info.Directory && info.Name != name:
		t.Errorf("info %q %v: name %q, want the name asked for", name, opts, info.Name)
	}
}

// isItem checks that name (with opts) is an item, or is missing.
func isItem(t *testing.T, b kv.Backend, name string, want bool, opts ...kv.Option) {
	t.Helper()
	exists(t, b, name, want, opts...)
	if info, err := b.Info(ctx(t), name, opts...); err == nil && info.Directory {
		t.Errorf("info %q %v: a directory, want an item", name, opts)
	}
}

// list returns the entries of dir as "name" for items and "name/" for
// directories, failing the test on an error.
func list(t *testing.T, b kv.Backend, dir string) []string {
	t.Helper()
	var names []string
	for it, err := range b.List(ctx(t), dir) {
		noErr(t, err, "list %q", dir)
		if it.Directory {
			names = append(names, it.Name+"/")
		} else {
			names = append(names, it.Name)
		}
	}
	return names
}

// short shortens a value for a message.
func short(v []byte) string {
	if len(v) > 40 {
		return string(v[:40]) + "..."
	}
	return string(v)
}

// errorsIs is errors.Is, short for the tables.
func errorsIs(err, target error) bool { return errors.Is(err, target) }

// Drain runs a List to its end and returns its first error.
func Drain(seq iter.Seq2[kv.ItemInfo, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}
