// Package kvtest is the conformance suite of kvcompose: TestBackend checks
// a driver (or a driver under layers) against every driver-level rule of
// docs/semantics.md, TestStack checks the nesting and soft delete rules of a full
// stack.
//
// A third-party driver runs the suite from a test of its own:
//
//	func TestConformance(t *testing.T) {
//		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
//			return mydriver.New(filepath.Join(t.TempDir(), "store"))
//		})
//	}
//
// The NewFunc must return a fresh backend at a location of its own that
// does not exist yet (or is an empty directory): the suite calls Create,
// Open, Close and Destroy itself, and calls the NewFunc once per group of
// checks, so that a failure in one group does not spill into the next.
//
// A third-party layer (one written with backendkit.Forward, say) runs
// TestBackend over itself on a driver, and TestStack over a stack that
// holds it with a softdelete layer above a nesting layer; see the guide in
// package backendkit.
//
// What TestBackend checks, each as a named subtest:
//
//   - Lifecycle: Create, Open, Close and Destroy in every state, with
//     kv.ErrNoStore, kv.ErrExists, kv.ErrAlreadyOpen and kv.ErrNotOpen, and
//     the state check before name validation;
//   - Recognize: Open and Destroy of a directory holding what no store
//     would hold are kv.ErrNotAStore, name the entry and remove nothing; a
//     store in borgstore's shape without backendkit.StoreRecord opens and is
//     destroyed; Create writes the record and accepts an empty store;
//   - Names: every invalid name on every item call is kv.ErrInvalidName,
//     the root "" is valid for List, Mkdir and Info, ".del" is a valid suffix;
//   - Items: Info, Load, Store, Delete, Move, Mkdir, Rmdir and List, with
//     kv.ErrNotFound for missing items, overwrites, parents made on demand,
//     sorted non-recursive listings, and buffers the caller may reuse;
//   - Ranges: every partial-load case of docs/semantics.md, and a large value
//     (8 MiB; 100 MB when KVTEST_LARGE=1 and not -short);
//   - Hash and Defrag: every algorithm of kv.HashAlgorithms(), named and
//     hash-named Defrag targets, kv.ErrReadRange with nothing written;
//   - Recursive: a driver whose Properties say Flat lists every item below
//     a directory with kv.Recursive, by relative name in byte order; any
//     other refuses the option with kv.ErrUnsupported;
//   - Quota, layer options that reach a driver (kv.ErrUnsupported), a
//     cancelled context, and concurrent use from many goroutines, in which
//     every Load sees one whole stored value.
//
// The suite uses the standard testing package only. BenchLoad and
// BenchStore measure what layers add to a driver; OpenStore sets up a
// backend for a test of your own.
package kvtest
