// Package backendkit is the kit for writing a kvcompose driver or layer: the
// lifecycle and per-call frame every driver starts its calls with, the error
// constructors, option helpers, shared Hash, Defrag and Quota, store records,
// and Forward, the base of a layer.
//
// Package kv is the contract (kv.Backend and what its calls take and give);
// this package is how to meet it. Package kvtest checks the result.
//
// # Writing a driver
//
// A driver is a type that implements every method of kv.Backend and keeps a
// Lifecycle (its zero value is a closed store); the package's Driver example
// is a whole one, in one map. Its parts:
//
//   - Create, Open, Close and Destroy run their own work inside
//     Lifecycle.Transition(ctx, op, f), which gives kv.ErrAlreadyOpen and
//     kv.ErrNotOpen for the wrong state and opens or closes the store. Create
//     writes StoreRecord (StoreRecordText) at the base and refuses a store
//     that holds more than records (IsStoreRecord) with kv.ErrExists; Open
//     and Destroy give kv.ErrNoStore for a missing store and then call
//     Recognize with a ReadDirFunc that lists a directory of the store, so
//     that a directory no store made is kv.ErrNotAStore and left alone.
//   - Every item call starts with Lifecycle.Begin(ctx, op, name, opts,
//     allowed...) (Move with BeginMove): the state, the options (allowed
//     lists the kinds the driver takes itself: kv.KindRange for Load), the
//     name, the context, in that order. kv.Hidden is let through for the
//     ".hid" records. List first trims its name with ListDir.
//   - A failure is NewError(op, name, sentinel, cause), or FSError for the
//     error of a file system call, so that errors.Is finds kv.ErrNotFound
//     and its kin through every layer.
//   - Load applies the last Range (RangeOf) with ClampRange. An option that
//     a call does not take is refused by Begin through CheckOptions, and one
//     meant for a layer names that layer.
//   - List returns SliceSeq over the sorted entries (it ends with the
//     context's error) or ErrorSeq(err); it skips names that are not valid
//     (kv.IsValidName), hidden records among them.
//   - Hash, Defrag and Quota are DriverHash, DriverDefrag and DriverQuota
//     unless the driver has a faster way (Hash, Defrag, ReadBlocks and
//     NewHash are the parts).
//   - Properties (kv.Describer) says what the driver is to the layers above
//     it: scheme, remote, pre-creation, flat listing, server address.
//   - LoadStream and StoreStream move a value of any size in bounded
//     buffers: StoreStream starts with Begin, reads src through Source
//     (the context, the declared size, src's errors) and commits only at
//     Source's io.EOF; a driver that holds values in memory anyway uses
//     BufferedLoadStream and BufferedStoreStream.
//   - A driver that parses a URL reports errors with InvalidURL, and
//     registers its schemes with RegisterScheme in an init function.
//
// Then run the conformance suite from a test:
//
//	func TestConformance(t *testing.T) {
//		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return mydriver.New(t.TempDir()) })
//	}
//
// # Writing a layer
//
// A layer wraps the kv.Backend below it and is one itself. Embed Forward,
// which forwards every method to Next and gives Unwrap (so kv.As and
// kv.PropertiesOf see through the layer), and override the methods the
// layer changes, calling Next for the call below; the package's Layer
// example counts bytes in a dozen lines. A layer that consumes per-call options
// implements OptionConsumer, removes them (Has, Without) before it calls
// Next, and passes the other options on: an option nobody consumed reaches
// the driver and is kv.ErrUnsupported there. A layer that judges names
// checks them first with CheckName. A layer that watches values overrides
// the streams too: LoadStream wraps the reader with ObserveReader (bytes as
// they are read, the end of the call at EOF, error or Close), StoreStream
// wraps src with ObserveSource (which keeps Seek for a retry below). Then
// run the suite over the layer, and
// TestStack over a stack that holds it (TestStack needs a softdelete layer
// above a nesting layer):
//
//	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
//		return mylayer.New(memory.New(t.Name()))
//	})
//	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
//		n, err := nesting.New(memory.New(t.Name()), levels)
//		if err != nil {
//			t.Fatal(err)
//		}
//		return mylayer.New(softdelete.New(n))
//	})
//
// The layers of this module (layers/...) do not use Forward: each writes
// every method out, so that a method added to kv.Backend breaks the build
// of every one of them. Forward is for layers outside
// the module, which pass a new method on unchanged instead.
package backendkit
