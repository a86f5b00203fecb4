package kvtest

import (
	"bytes"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// stackStream checks the streaming calls through a stack with nesting and
// soft delete (docs/semantics.md, Streams): StoreStream places an item at
// its level as Store does and LoadStream finds it there, whole or in part;
// a soft-deleted version streams with kv.Deleted, which StoreStream
// refuses; a reader closed early leaves the item as it was.
func stackStream(t *testing.T, b kv.Backend) {
	const size = 1<<18 + 123 // the layers pass names: a value of a few pieces is enough
	big := Pattern(size, 3)
	for _, name := range []string{"data/5e7ea3000001", "config/streamed"} {
		noErr(t, b.StoreStream(ctx(t), name, bytes.NewReader(big), size), "store stream %q", name)
		isItem(t, b, name, true)
		loadStream(t, b, name, big)
		loadStream(t, b, name, big[size-100:size-90], kv.Range(-100, 10))
		load(t, b, name, big)

		r, err := b.LoadStream(ctx(t), name)
		noErr(t, err, "load stream %q", name)
		_, err = r.Read(make([]byte, 10))
		noErr(t, err, "read")
		noErr(t, r.Close(), "close early")
		loadStream(t, b, name, big)

		noErr(t, b.Move(ctx(t), name, "", kv.SoftDelete()), "soft delete %q", name)
		_, err = b.LoadStream(ctx(t), name)
		isErr(t, err, kv.ErrNotFound, "load stream of a soft-deleted item")
		loadStream(t, b, name, big[:1000], kv.Deleted(), kv.Range(0, 1000))
		isErr(t, b.StoreStream(ctx(t), name, bytes.NewReader(big), size, kv.Deleted()), kv.ErrUnsupported,
			"store stream with kv.Deleted")
		noErr(t, b.Delete(ctx(t), name, kv.Deleted()), "delete the soft-deleted %q", name)
	}
	// The item sits at the namespace's level.
	stackListed(t, b, "data/5e/7e", "5e7ea3000001", false)
	noErr(t, b.StoreStream(ctx(t), "data/5e7ea3000002", bytes.NewReader(big[:10]), -1), "store stream")
	stackListed(t, b, "data/5e/7e", "5e7ea3000002", true)
	noErr(t, b.Delete(ctx(t), "data/5e7ea3000002"), "delete")
}
