package nesting

import (
	"context"
	"path"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Defrag builds a new item from blocks of existing items, each read at its
// level. A given target (kv.Target) is placed like a Store would place it;
// a target named by its hash is named by key and placed at its
// namespace's level.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if err := refuse(kv.OpDefrag, "", opts); err != nil {
		return "", err
	}
	target, _ := backendkit.DefragTarget(opts)
	if target == "" && len(sources) > 0 {
		dir := path.Dir(sources[0].Name)
		if dir == "." {
			dir = ""
		} else {
			dir += "/"
		}
		if ns := l.lookup(dir); ns == nil || ns.maxLevel > 0 {
			// The target's name is only known once its content is:
			// let backendkit.Defrag name it and store it through this layer.
			return backendkit.Defrag(ctx, l, sources, opts...)
		}
	}
	// Resolve every name first, then hold the stripes of all of them: no
	// source or target changes level between the probes and the call.
	items := make([]item, len(sources), len(sources)+1)
	for i, s := range sources {
		it, err := l.resolve(kv.OpDefrag, s.Name)
		if err != nil {
			return "", err
		}
		items[i] = it
	}
	var dst item
	if target != "" {
		var err error
		if dst, err = l.resolve(kv.OpDefrag, target); err != nil {
			return "", err
		}
	}
	defer l.lockAll(append(items, dst)...)()
	nested := make([]kv.Block, len(sources))
	for i, s := range sources {
		var err error
		if s.Name, _, err = l.locate(ctx, items[i]); err != nil {
			return "", err
		}
		nested[i] = s
	}
	if target == "" {
		return l.next.Defrag(ctx, nested, opts...)
	}
	nestedTarget, _, err := l.locate(ctx, dst)
	if err != nil {
		return "", err
	}
	opts = append(backendkit.Without(opts, kv.KindTarget), kv.Target(nestedTarget))
	if _, err := l.next.Defrag(ctx, nested, opts...); err != nil {
		return "", err
	}
	return target, nil
}

// lookup returns the namespace whose prefix is the longest prefix of name,
// or nil.
func (l *Layer) lookup(name string) *namespace {
	return lookupIn(l.cfg(), name)
}

// lookupIn is lookup in spaces.
func lookupIn(spaces []namespace, name string) *namespace {
	for i := range spaces {
		if strings.HasPrefix(name, spaces[i].prefix) {
			return &spaces[i]
		}
	}
	return nil
}
