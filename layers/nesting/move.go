package nesting

import (
	"context"
	"errors"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Move renames from to to, each at its own level: the target stays where an
// existing item of that name is, goes to the level of the source when only
// the suffix differs (a soft delete or an undelete), and to the last level
// otherwise.
//
// With kv.ChangeLevel(), Move(name, name) moves the item name from wherever
// it is to the last configured level of its namespace, and does nothing if
// it is already there; a missing item is kv.ErrNotFound.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if len(opts) > 0 && backendkit.Has(opts, kv.KindChangeLevel) {
		return l.changeLevel(ctx, from, to, backendkit.Without(opts, kv.KindChangeLevel))
	}
	src, err := l.resolve(kv.OpMove, from)
	if err != nil {
		return err
	}
	var dst item
	if to != "" {
		if dst, err = l.resolve(kv.OpMove, to); err != nil {
			return err
		}
	}
	defer l.lockAll(src, dst)()
	srcName, srcLevel, err := l.locate(ctx, src)
	if err != nil {
		return err
	}
	if to == "" {
		// Move(name, "", kv.SoftDelete()) with the softdelete layer below
		// this one: it names the target itself.
		return callerErr(l.next.Move(ctx, srcName, "", opts...), kv.OpMove, srcName, from)
	}
	dstName, dstLevel, err := l.locate(ctx, dst)
	if err != nil {
		return err
	}
	if dstLevel < 0 && srcLevel >= 0 && dst.ns == src.ns && dst.base == src.base {
		dstName = dst.at(src.ns.levels[srcLevel])
	}
	return callerErr(l.next.Move(ctx, srcName, dstName, opts...), kv.OpMove, srcName, from)
}

func (l *Layer) changeLevel(ctx context.Context, from, to string, opts []kv.Option) error {
	if to != from && to != "" {
		return backendkit.NewError(kv.OpMove, from, kv.ErrUnsupported,
			errors.New("change-level moves an item to another level of its own name; to must be the same name"))
	}
	it, err := l.resolve(kv.OpMove, from)
	if err != nil {
		return err
	}
	defer l.lockAll(it)()
	cur, idx, err := l.locate(ctx, it)
	if err != nil {
		return err
	}
	last := len(it.ns.levels) - 1
	if idx == 0 && last == 0 {
		// One level: locate made no call; check that the item exists.
		info, err := l.next.Info(ctx, cur)
		if err != nil {
			return err
		}
		if !info.Exists || info.Directory {
			idx = -1
		}
	}
	switch idx {
	case -1:
		return backendkit.NewError(kv.OpMove, from, kv.ErrNotFound, nil)
	case last:
		return nil
	}
	return callerErr(l.next.Move(ctx, cur, it.at(it.ns.last()), opts...), kv.OpMove, cur, from)
}
