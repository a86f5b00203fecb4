// Package memory is a kv.Backend that keeps its items in process memory,
// for tests, examples and caches; the URL form is mem://name.
//
// Importing the package registers the scheme mem for compose.Open, which
// imports it itself.
package memory

import (
	"context"
	"fmt"
	"net/url"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Driver is an in-memory kv.Backend. Each Driver is a store of its own,
// which lives as long as the Driver; its name only labels it.
type Driver struct {
	name string
	s    store
	lc   backendkit.Lifecycle
}

var (
	_ kv.Backend   = (*Driver)(nil)
	_ kv.Describer = (*Driver)(nil)
)

// New returns a closed driver for a new store labelled name; the store
// does not exist until Create. New does no I/O and cannot fail.
func New(name string) *Driver { return &Driver{name: name} }

// FromURL returns a closed driver for a new store labelled name, from a URL
// of the form mem://name: opening the same URL twice gives two stores. A
// missing name, a user, port, path, query or fragment, or another scheme is
// a kv.ErrInvalidURL error that says which.
func FromURL(raw string) (*Driver, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, backendkit.InvalidURL(raw, "%v", err)
	case u.Scheme != "mem":
		return nil, backendkit.InvalidURL(raw, "scheme %q is not mem", u.Scheme)
	case u.Opaque != "":
		return nil, backendkit.InvalidURL(raw, "want mem://name")
	case u.Host == "":
		return nil, backendkit.InvalidURL(raw, "missing store name, want mem://name")
	case u.User != nil:
		return nil, backendkit.InvalidURL(raw, "a mem URL has no user")
	case u.Port() != "":
		return nil, backendkit.InvalidURL(raw, "a mem URL has no port")
	case u.Path != "" && u.Path != "/":
		return nil, backendkit.InvalidURL(raw, "a mem URL has no path, got %q", u.Path)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, backendkit.InvalidURL(raw, "a mem URL has no query or fragment")
	}
	return New(u.Host), nil
}

// Name returns the label of the store.
func (d *Driver) Name() string { return d.name }

// Properties describes the driver: scheme "mem", local, no pre-creation.
func (d *Driver) Properties() kv.Properties { return kv.Properties{Scheme: "mem"} }

// String describes the driver as its URL.
func (d *Driver) String() string { return "mem://" + d.name }

// Create makes the store and its backendkit.StoreRecord. An existing empty store
// is accepted; one with items is kv.ErrExists.
func (d *Driver) Create(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		d.s.mu.Lock()
		defer d.s.mu.Unlock()
		if d.s.root == nil {
			d.s.root = newDir()
		}
		for name := range d.s.root.children {
			if !backendkit.IsStoreRecord(name) {
				return backendkit.NewError(kv.OpCreate, "", kv.ErrExists, fmt.Errorf("store %s is not empty", d))
			}
		}
		d.s.root.children[backendkit.StoreRecord] = &node{value: []byte(backendkit.StoreRecordText)} // not in the usage
		return nil
	})
}

// Destroy removes the store and its items; a missing store is
// kv.ErrNoStore, one that is not a store (backendkit.Recognize) kv.ErrNotAStore.
func (d *Driver) Destroy(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		d.s.mu.Lock()
		defer d.s.mu.Unlock()
		if err := d.check(ctx, kv.OpDestroy); err != nil {
			return err
		}
		d.s.root, d.s.usage = nil, 0
		return nil
	})
}

// Open opens the store; a missing one is kv.ErrNoStore, one that is not a
// store (backendkit.Recognize) kv.ErrNotAStore.
func (d *Driver) Open(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpOpen, func() error {
		d.s.mu.RLock()
		defer d.s.mu.RUnlock()
		return d.check(ctx, kv.OpOpen)
	})
}

// check returns kv.ErrNoStore for a missing store and the error of
// backendkit.Recognize. The caller holds d.s.mu.
func (d *Driver) check(ctx context.Context, op kv.Op) error {
	if d.s.root == nil {
		return backendkit.NewError(op, "", kv.ErrNoStore, nil)
	}
	return backendkit.Recognize(ctx, op, d.String(), func(_ context.Context, dir string) ([]backendkit.DirEntry, error) {
		n := d.s.lookup(dir)
		if n == nil || !n.isDir() {
			return nil, backendkit.NewError(op, dir, kv.ErrNotFound, nil)
		}
		out := make([]backendkit.DirEntry, 0, len(n.children))
		for name, c := range n.children {
			out = append(out, backendkit.DirEntry{Name: name, Dir: c.isDir()})
		}
		return out, nil
	})
}

// Close closes the store. The items stay.
func (d *Driver) Close(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpClose, func() error { return nil })
}
