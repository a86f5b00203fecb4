package kv

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
)

// Defrag is the generic Backend.Defrag: it loads every block from b with a
// Range (and the options in opts other than the target options, such as
// Deleted), appends them in order, and stores the result under the target
// that opts names (see DefragTarget), returning its name. A block that reads
// short is an ErrReadRange error and nothing is stored.
//
// With a hash-named target the new item goes into the directory of the
// first source: "data/ab" for a source "data/ab", "data/01/23" for a nested
// one. A layer that renames items (nesting) therefore calls Defrag with
// itself as b, so that the target is named and placed at its level.
func Defrag(ctx context.Context, b Backend, sources []Block, opts ...Option) (string, error) {
	target, algorithm := DefragTarget(opts)
	if len(sources) == 0 {
		return "", NewError(OpDefrag.String(), target, nil, errors.New("no source blocks"))
	}
	h, err := NewHash(algorithm)
	if err != nil {
		return "", NewError(OpDefrag.String(), target, nil, err)
	}
	var total int64
	for _, s := range sources {
		if s.Offset < 0 || s.Size < 0 {
			return "", NewError(OpDefrag.String(), s.Name, ErrReadRange,
				fmt.Errorf("block offset %d size %d: must not be negative", s.Offset, s.Size))
		}
		total += s.Size
	}
	loadOpts := Without(opts, KindTarget, KindTargetHash)
	value := make([]byte, 0, total)
	for _, s := range sources {
		part, err := b.Load(ctx, s.Name, append(loadOpts[:len(loadOpts):len(loadOpts)], Range(s.Offset, s.Size))...)
		if err != nil {
			return "", err
		}
		if int64(len(part)) != s.Size {
			return "", NewError(OpDefrag.String(), s.Name, ErrReadRange,
				fmt.Errorf("block at offset %d: wanted %d bytes, got %d", s.Offset, s.Size, len(part)))
		}
		value = append(value, part...)
	}
	if target == "" {
		h.Write(value)
		target = hex.EncodeToString(h.Sum(nil))
		if dir := path.Dir(sources[0].Name); dir != "." {
			target = dir + "/" + target
		}
	}
	if err := b.Store(ctx, target, value); err != nil {
		return "", err
	}
	return target, nil
}

// DriverDefrag is the Backend.Defrag of a driver without a faster way: it
// returns kv.ErrNotOpen unless lc says the store is open, refuses options
// other than Target and TargetHash (kv.ErrUnsupported), and runs Defrag
// with b, the driver itself.
func DriverDefrag(ctx context.Context, lc *Lifecycle, b Backend, sources []Block, opts ...Option) (string, error) {
	if err := lc.Begin(ctx, OpDefrag, "", opts, KindTarget, KindTargetHash); err != nil {
		return "", err
	}
	return Defrag(ctx, b, sources, opts...)
}

// DriverHash is the Backend.Hash of a driver without a remote hash: the
// frame of the call (lc.Begin), then Hash with b, the driver itself.
func DriverHash(ctx context.Context, lc *Lifecycle, b Backend, name, algorithm string, opts ...Option) (string, error) {
	if err := lc.Begin(ctx, OpHash, name, opts); err != nil {
		return "", err
	}
	return Hash(ctx, b, name, algorithm)
}

// DriverQuota is the Backend.Quota of a driver that tracks neither limit
// nor usage: -1, -1 once the store is open.
func DriverQuota(ctx context.Context, lc *Lifecycle) (Quota, error) {
	if err := lc.Begin(ctx, OpQuota, "", nil); err != nil {
		return Quota{}, err
	}
	return Quota{Limit: -1, Usage: -1}, nil
}
