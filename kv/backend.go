package kv

import (
	"context"
	"io"
	"iter"
	"time"
)

// Backend is a key/value store: a driver that keeps bytes somewhere, or a
// layer that wraps another Backend. All methods are safe for concurrent use
// and take a context first, which they honour.
//
// Besides the errors each method names below, every item call is
// ErrNotOpen on a closed store, ErrUnsupported for an option that does not
// apply, ErrInvalidName for an invalid name, and the context's error once
// the context is done, checked in that order; a network driver gives
// ErrConnection when the link fails. The semantics of every method are
// those of docs/semantics.md; the conformance suite in package kvtest
// checks them.
type Backend interface {
	// Create makes a new, empty store, with missing parent directories and
	// a hidden record (backendkit.StoreRecord), and leaves it closed. An existing empty store is accepted; a non-empty
	// one is ErrExists; an open one ErrAlreadyOpen.
	Create(ctx context.Context) error
	// Destroy removes the store and everything in it. A missing store is
	// ErrNoStore; an open one ErrAlreadyOpen; a directory that is not a
	// store (backendkit.Recognize) ErrNotAStore, and nothing is removed.
	Destroy(ctx context.Context) error
	// Open opens an existing store for item calls. A missing store is
	// ErrNoStore; an open one ErrAlreadyOpen; a directory that is not a
	// store ErrNotAStore.
	Open(ctx context.Context) error
	// Close closes an open store; a closed one is ErrNotOpen.
	Close(ctx context.Context) error
	// Mkdir creates the directory name and its parents; an existing
	// directory is accepted, an item in the way is ErrExists.
	Mkdir(ctx context.Context, name string) error
	// Rmdir removes the empty directory name. A missing one is
	// ErrNotFound; a directory that is not empty is an error.
	Rmdir(ctx context.Context, name string) error
	// Info describes name. A missing item gives Exists == false and no
	// error; a directory gives Directory == true.
	Info(ctx context.Context, name string, opts ...Option) (ItemInfo, error)
	// Load returns the value of name, or the part selected by Range. A
	// missing item is ErrNotFound.
	Load(ctx context.Context, name string, opts ...Option) ([]byte, error)
	// Store writes value atomically under name, overwriting silently and
	// making missing parent directories. The caller may reuse value once
	// Store returns. A store past a quota is ErrQuotaExceeded, one that the
	// permissions deny ErrPermission; nothing is changed then.
	Store(ctx context.Context, name string, value []byte, opts ...Option) error
	// LoadStream opens the value of name, or the part selected by Range,
	// for reading as a stream: the fast path's Load for values of any
	// size, in constant memory. A missing item is ErrNotFound, returned by
	// the call; a failure while the bytes flow is returned by Read. The
	// reader sees one version of the value, even if name is overwritten
	// meanwhile. The caller must Close the reader, at the end or early;
	// the call ends (for the layers that time, trace or log it) when the
	// reader reaches the end, fails, or is closed, whichever comes first.
	LoadStream(ctx context.Context, name string, opts ...Option) (io.ReadCloser, error)
	// StoreStream reads src to its end and stores what it read under name,
	// atomically, as Store does: until it returns, no reader sees a part
	// of the new value, and when it fails (src's error, a cancelled
	// context, a quota reached in the middle) nothing is changed. size is
	// the number of bytes src holds, or -1 when unknown; a src that ends
	// before size bytes or holds more is ErrSizeMismatch, and nothing is
	// stored. StoreStream does not close src. A layer may retry a failed
	// StoreStream only if it has read nothing from src yet, or if src is an
	// io.Seeker that rewinds to where it started.
	StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...Option) error
	// Delete removes the item name; a missing item is ErrNotFound.
	Delete(ctx context.Context, name string, opts ...Option) error
	// Move renames from to to, overwriting to and making its parents, or
	// soft deletes, undeletes or changes the nesting level of from, as the
	// options say. A missing from is ErrNotFound.
	Move(ctx context.Context, from, to string, opts ...Option) error
	// List yields the entries of the directory name, sorted by name, with
	// base names; invalid names are skipped. A missing directory yields
	// ErrNotFound.
	List(ctx context.Context, name string, opts ...Option) iter.Seq2[ItemInfo, error]
	// Hash returns the hex digest of the value of name with algorithm (""
	// for DefaultHash); a missing item is ErrNotFound, an unknown algorithm
	// ErrUnsupported.
	Hash(ctx context.Context, name, algorithm string, opts ...Option) (string, error)
	// Defrag builds a new item from blocks of existing items and returns its
	// name; a block that reads short is ErrReadRange and nothing is written.
	Defrag(ctx context.Context, sources []Block, opts ...Option) (string, error)
	// Quota reports the limit and usage of the store in bytes, -1 when not
	// tracked.
	Quota(ctx context.Context) (Quota, error)
}

// ItemInfo describes one item or directory.
type ItemInfo struct {
	// Name is the name asked for (Info) or the base name (List).
	Name string
	// Exists is false for a missing item.
	Exists bool
	// Size is the size of the value in bytes.
	Size int64
	// Directory is true for a directory.
	Directory bool
	// Atime is the last access time where the driver knows it, zero
	// otherwise.
	Atime time.Time
}

// Block is a part of an existing item, a source of Defrag.
type Block struct {
	Name   string
	Offset int64
	Size   int64
}

// Quota is the limit and the usage of a store in bytes; -1 means not tracked.
type Quota struct {
	Limit int64
	Usage int64
}
