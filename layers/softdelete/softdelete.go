// Package softdelete is a kv.Backend layer that soft deletes, undeletes
// and shows soft-deleted items by renaming them with the ".del" suffix.
// LoadStream and StoreStream take the options Load and Store take, and
// reach the same names below.
package softdelete

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Layer implements kv.SoftDelete, kv.Undelete and kv.Deleted on top of any
// Backend: a soft-deleted item "data/0123" is the item "data/0123.del"
// below. Every other call passes through unchanged. It is safe for
// concurrent use.
type Layer struct {
	next kv.Backend
}

var (
	_ kv.Backend                = (*Layer)(nil)
	_ backendkit.OptionConsumer = (*Layer)(nil)
)

// New returns a soft delete layer over next.
func New(next kv.Backend) *Layer { return &Layer{next: next} }

// Unwrap returns the Backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// ConsumesOptions reports the options the layer implements: kv.Deleted,
// kv.SoftDelete and kv.Undelete never reach the layers below it.
func (l *Layer) ConsumesOptions() []kv.OptionKind {
	return []kv.OptionKind{kv.KindDeleted, kv.KindSoftDelete, kv.KindUndelete}
}

// deleted reports whether opts holds kv.Deleted and returns opts less it.
// It does not allocate when opts is empty or holds no Deleted.
func deleted(opts []kv.Option) (bool, []kv.Option) {
	if len(opts) == 0 || !backendkit.Has(opts, kv.KindDeleted) {
		return false, opts
	}
	return true, backendkit.Without(opts, kv.KindDeleted)
}

// refuse returns an ErrUnsupported error if opts holds SoftDelete or
// Undelete, which only Move takes.
func refuse(op kv.Op, name string, opts []kv.Option) error {
	for _, o := range opts {
		if k := o.Kind(); k == kv.KindSoftDelete || k == kv.KindUndelete {
			return backendkit.NewError(op, name, kv.ErrUnsupported, errors.New("option "+k.String()+" applies only to move"))
		}
	}
	return nil
}

// refuseAll is refuse that also refuses Deleted, for calls that have no
// deleted view.
func refuseAll(op kv.Op, name string, opts []kv.Option) error {
	if len(opts) == 0 {
		return nil
	}
	if backendkit.Has(opts, kv.KindDeleted) {
		return backendkit.NewError(op, name, kv.ErrUnsupported, errors.New("option deleted does not apply to "+op.String()))
	}
	return refuse(op, name, opts)
}

// Create creates the store below.
func (l *Layer) Create(ctx context.Context) error { return l.next.Create(ctx) }

// Destroy destroys the store below.
func (l *Layer) Destroy(ctx context.Context) error { return l.next.Destroy(ctx) }

// Open opens the store below.
func (l *Layer) Open(ctx context.Context) error { return l.next.Open(ctx) }

// Close closes the store below.
func (l *Layer) Close(ctx context.Context) error { return l.next.Close(ctx) }

// Mkdir creates the directory name below.
func (l *Layer) Mkdir(ctx context.Context, name string) error { return l.next.Mkdir(ctx, name) }

// Rmdir removes the directory name below.
func (l *Layer) Rmdir(ctx context.Context, name string) error { return l.next.Rmdir(ctx, name) }

// Quota reports the quota of the store below.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) { return l.next.Quota(ctx) }

// Info describes name, or with kv.Deleted() its soft-deleted version (the
// returned Name is name, without the suffix).
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := refuse(kv.OpInfo, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	del, opts := deleted(opts)
	if !del {
		return l.next.Info(ctx, name, opts...)
	}
	info, err := l.next.Info(ctx, name+kv.DeletedSuffix, opts...)
	info.Name = name
	return info, err
}

// Load loads name, or with kv.Deleted() its soft-deleted version.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if err := refuse(kv.OpLoad, name, opts); err != nil {
		return nil, err
	}
	if del, rest := deleted(opts); del {
		return l.next.Load(ctx, name+kv.DeletedSuffix, rest...)
	}
	return l.next.Load(ctx, name, opts...)
}

// Store stores name; it takes no soft delete option.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := refuseAll(kv.OpStore, name, opts); err != nil {
		return err
	}
	return l.next.Store(ctx, name, value, opts...)
}

// Delete deletes name for good, or with kv.Deleted() its soft-deleted
// version. It never soft deletes: that is Move with kv.SoftDelete().
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := refuse(kv.OpDelete, name, opts); err != nil {
		return err
	}
	if del, rest := deleted(opts); del {
		return l.next.Delete(ctx, name+kv.DeletedSuffix, rest...)
	}
	return l.next.Delete(ctx, name, opts...)
}

// Hash hashes name, or with kv.Deleted() its soft-deleted version.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := refuse(kv.OpHash, name, opts); err != nil {
		return "", err
	}
	if del, rest := deleted(opts); del {
		return l.next.Hash(ctx, name+kv.DeletedSuffix, algorithm, rest...)
	}
	return l.next.Hash(ctx, name, algorithm, opts...)
}

// Move renames from to to. With kv.SoftDelete(), Move(name, "") renames
// name to its soft-deleted version, overwriting an older one; with
// kv.Undelete(), it renames the soft-deleted version back, overwriting a
// live item. ("to" may also repeat "from".) With kv.Deleted(), it renames
// the soft-deleted version of from to that of to. A missing source is
// kv.ErrNotFound.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if len(opts) == 0 {
		return l.next.Move(ctx, from, to)
	}
	soft, undel := backendkit.Has(opts, kv.KindSoftDelete), backendkit.Has(opts, kv.KindUndelete)
	del, rest := deleted(opts)
	rest = backendkit.Without(rest, kv.KindSoftDelete, kv.KindUndelete)
	if (soft || undel) && (to != "" && to != from || soft && undel || del) {
		return backendkit.NewError(kv.OpMove, from, kv.ErrUnsupported,
			errors.New("soft delete and undelete rename an item in place: use Move(name, \"\", option) with one option"))
	}
	var err error
	switch {
	case soft:
		err = l.next.Move(ctx, from, from+kv.DeletedSuffix, rest...)
		if err != nil {
			err = backendkit.NewError(kv.OpMove, from, nil, fmt.Errorf("soft delete: %w", err))
		}
	case undel:
		err = l.next.Move(ctx, from+kv.DeletedSuffix, from, rest...)
		if err != nil {
			err = backendkit.NewError(kv.OpMove, from, nil, fmt.Errorf("undelete: %w", err))
		}
	case del:
		if to != "" {
			to += kv.DeletedSuffix
		}
		err = l.next.Move(ctx, from+kv.DeletedSuffix, to, rest...)
	default:
		err = l.next.Move(ctx, from, to, rest...)
	}
	return err
}

// Defrag builds a new item from blocks; with kv.Deleted() the blocks are
// read from soft-deleted versions, and the new item is live.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if err := refuse(kv.OpDefrag, "", opts); err != nil {
		return "", err
	}
	del, rest := deleted(opts)
	if !del {
		return l.next.Defrag(ctx, sources, opts...)
	}
	renamed := make([]kv.Block, len(sources))
	for i, s := range sources {
		s.Name += kv.DeletedSuffix
		renamed[i] = s
	}
	return l.next.Defrag(ctx, renamed, rest...)
}

// List yields the live items and the directories of name; with
// kv.Deleted(), only the soft-deleted items, named without the suffix.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if err := refuse(kv.OpList, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	del, rest := deleted(opts)
	entries := l.next.List(ctx, name, rest...)
	return func(yield func(kv.ItemInfo, error) bool) {
		for info, err := range entries {
			if err == nil {
				base, isDel := strings.CutSuffix(info.Name, kv.DeletedSuffix)
				if isDel && info.Directory {
					isDel = false // a directory is never deleted
				}
				if isDel != del {
					continue
				}
				if del {
					info.Name = base
				}
			}
			if !yield(info, err) {
				return
			}
		}
	}
}
