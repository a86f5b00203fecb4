package nesting

import (
	"context"
	"errors"
	"iter"
	"path"

	"github.com/kvcompose/compose/kv"
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
	if len(opts) > 0 && kv.Has(opts, kv.KindChangeLevel) {
		return l.changeLevel(ctx, from, to, kv.Without(opts, kv.KindChangeLevel))
	}
	src, err := l.resolve("move", from)
	if err != nil {
		return err
	}
	srcName, srcLevel, err := l.locate(ctx, src)
	if err != nil {
		return err
	}
	if to == "" {
		// Move(name, "", kv.SoftDelete()) with the softdelete layer below
		// this one: it names the target itself.
		return l.next.Move(ctx, srcName, "", opts...)
	}
	dst, err := l.resolve("move", to)
	if err != nil {
		return err
	}
	dstName, dstLevel, err := l.locate(ctx, dst)
	if err != nil {
		return err
	}
	if dstLevel < 0 && srcLevel >= 0 && dst.ns == src.ns && dst.base == src.base {
		dstName = dst.at(src.ns.levels[srcLevel])
	}
	return l.next.Move(ctx, srcName, dstName, opts...)
}

func (l *Layer) changeLevel(ctx context.Context, from, to string, opts []kv.Option) error {
	if to != from && to != "" {
		return kv.NewError("move", from, kv.ErrUnsupported,
			errors.New("change-level moves an item to another level of its own name; to must be the same name"))
	}
	it, err := l.resolve("move", from)
	if err != nil {
		return err
	}
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
		return kv.NewError("move", from, kv.ErrNotFound, nil)
	case last:
		return nil
	}
	return l.next.Move(ctx, cur, it.at(it.ns.last()), opts...)
}

// Defrag builds a new item from blocks of existing items, each read at its
// level. A given target (kv.Target) is placed like a Store would place it;
// a target named by its hash is named by key and placed at its
// namespace's level.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if err := refuse("defrag", "", opts); err != nil {
		return "", err
	}
	target, _ := kv.DefragTarget(opts)
	if target == "" && len(sources) > 0 {
		dir := path.Dir(sources[0].Name)
		if dir == "." {
			dir = ""
		} else {
			dir += "/"
		}
		if ns := l.lookup(dir); ns == nil || ns.maxLevel > 0 {
			// The target's name is only known once its content is:
			// let kv.Defrag name it and store it through this layer.
			return kv.Defrag(ctx, l, sources, opts...)
		}
	}
	nested := make([]kv.Block, len(sources))
	for i, s := range sources {
		it, err := l.resolve("defrag", s.Name)
		if err != nil {
			return "", err
		}
		if s.Name, _, err = l.locate(ctx, it); err != nil {
			return "", err
		}
		nested[i] = s
	}
	if target == "" {
		return l.next.Defrag(ctx, nested, opts...)
	}
	it, err := l.resolve("defrag", target)
	if err != nil {
		return "", err
	}
	nestedTarget, _, err := l.locate(ctx, it)
	if err != nil {
		return "", err
	}
	opts = append(kv.Without(opts, kv.KindTarget), kv.Target(nestedTarget))
	if _, err := l.next.Defrag(ctx, nested, opts...); err != nil {
		return "", err
	}
	return target, nil
}

// lookup returns the namespace whose prefix is the longest prefix of name,
// or nil.
func (l *Layer) lookup(name string) *namespace {
	for i := range l.spaces {
		if len(name) >= len(l.spaces[i].prefix) && name[:len(l.spaces[i].prefix)] == l.spaces[i].prefix {
			return &l.spaces[i]
		}
	}
	return nil
}

// List lists the directory name. For a namespace with nesting levels
// (List("data") for "data/"), it walks the nesting directories and yields
// the items found at the configured depths, named by key (soft-deleted
// items keep their ".del" suffix), never directories; the items of one
// directory come out sorted. Any other directory is listed as it is.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if err := refuse("list", name, opts); err != nil {
		return kv.ErrorSeq(err)
	}
	prefix := name
	if name != "" {
		prefix += "/"
	}
	ns := l.lookup(prefix)
	if ns == nil || ns.prefix != prefix || ns.maxLevel == 0 {
		return l.next.List(ctx, name, opts...)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		l.walk(ctx, name, 0, ns, opts, yield)
	}
}

// walk yields the items of dir at depth, then walks its nesting
// subdirectories; it returns false once yield asked to stop or after an
// error.
func (l *Layer) walk(ctx context.Context, dir string, depth int, ns *namespace, opts []kv.Option,
	yield func(kv.ItemInfo, error) bool) bool {
	var subdirs []string
	for info, err := range l.next.List(ctx, dir, opts...) {
		if err != nil {
			yield(kv.ItemInfo{}, err)
			return false
		}
		switch {
		case info.Directory:
			if depth < ns.maxLevel && len(info.Name) == 2 {
				subdirs = append(subdirs, info.Name)
			}
		case ns.hasLevel(depth):
			if !yield(info, nil) {
				return false
			}
		}
	}
	for _, sub := range subdirs {
		if dir != "" {
			sub = dir + "/" + sub
		}
		if !l.walk(ctx, sub, depth+1, ns, opts, yield) {
			return false
		}
	}
	return true
}
