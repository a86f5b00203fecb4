package backendkit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path"

	"github.com/kvcompose/compose/kv"
)

// Defrag is the generic Backend.Defrag: it reads the blocks with
// ReadBlocks (passing the options in opts other than the target options,
// such as Deleted) and stores the result under the target that opts names
// (see DefragTarget), returning its name. A block outside its item, or
// one that reads short, is an ErrReadRange error and nothing is stored.
//
// With a hash-named target the new item goes into the directory of the
// first source: "data/ab" for a source "data/ab", "data/01/23" for a nested
// one. A layer that renames items (nesting) therefore calls Defrag with
// itself as b, so that the target is named and placed at its level.
func Defrag(ctx context.Context, b kv.Backend, sources []kv.Block, opts ...kv.Option) (string, error) {
	target, algorithm := DefragTarget(opts)
	if len(sources) == 0 {
		return "", NewError(kv.OpDefrag, target, nil, errors.New("no source blocks"))
	}
	h, err := NewHash(algorithm)
	if err != nil {
		return "", NewError(kv.OpDefrag, target, nil, err)
	}
	value, err := ReadBlocks(ctx, b, sources, Without(opts, kv.KindTarget, kv.KindTargetHash)...)
	if err != nil {
		return "", err
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

// CheckBlocks checks every block against the real size of its item (one
// Info per distinct item, with opts) and returns the sum of their sizes: a
// block that does not lie inside its item, or blocks whose sizes add up
// past what an int64 holds, are an ErrReadRange error, a missing item
// ErrNotFound. A server calls it to bound the memory a Defrag will take
// before it calls Defrag.
func CheckBlocks(ctx context.Context, b kv.Backend, sources []kv.Block, opts ...kv.Option) (int64, error) {
	const op = kv.OpDefrag
	sizes := make(map[string]int64)
	var total int64
	for _, s := range sources {
		if s.Offset < 0 || s.Size < 0 {
			return 0, NewError(op, s.Name, kv.ErrReadRange,
				fmt.Errorf("block offset %d size %d: must not be negative", s.Offset, s.Size))
		}
		size, ok := sizes[s.Name]
		if !ok {
			info, err := b.Info(ctx, s.Name, opts...)
			if err != nil {
				return 0, err
			}
			if !info.Exists || info.Directory {
				if err := kv.ValidateName(s.Name); err != nil { // the root
					return 0, NewError(op, s.Name, nil, err)
				}
				return 0, NewError(op, s.Name, kv.ErrNotFound, errors.New("no such item to read a block from"))
			}
			size = info.Size
			sizes[s.Name] = size
		}
		if s.Offset > size || s.Size > size-s.Offset {
			return 0, NewError(op, s.Name, kv.ErrReadRange,
				fmt.Errorf("block at offset %d size %d lies past the end of the item (%d bytes)", s.Offset, s.Size, size))
		}
		if s.Size > math.MaxInt64-total {
			return 0, NewError(op, s.Name, kv.ErrReadRange, errors.New("the blocks add up to more than an int64 holds"))
		}
		total += s.Size
	}
	return total, nil
}

// ReadBlocks loads every block from b with a Range (and opts, such as
// Deleted) and returns them appended in order. It checks the blocks with
// CheckBlocks before it allocates anything, so the memory it takes is the
// sum of sizes that really exist; a block that reads short (the item
// changed meanwhile) is an ErrReadRange error.
func ReadBlocks(ctx context.Context, b kv.Backend, sources []kv.Block, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpDefrag
	total, err := CheckBlocks(ctx, b, sources, opts...)
	if err != nil {
		return nil, err
	}
	value := make([]byte, 0, total)
	for _, s := range sources {
		part, err := b.Load(ctx, s.Name, append(opts[:len(opts):len(opts)], kv.Range(s.Offset, s.Size))...)
		if err != nil {
			return nil, err
		}
		if int64(len(part)) != s.Size {
			return nil, NewError(op, s.Name, kv.ErrReadRange,
				fmt.Errorf("block at offset %d: wanted %d bytes, got %d", s.Offset, s.Size, len(part)))
		}
		value = append(value, part...)
	}
	return value, nil
}

// DriverDefrag is the Backend.Defrag of a driver without a faster way: it
// returns kv.ErrNotOpen unless lc says the store is open, refuses options
// other than Target and TargetHash (kv.ErrUnsupported), and runs Defrag
// with b, the driver itself.
func DriverDefrag(ctx context.Context, lc *Lifecycle, b kv.Backend, sources []kv.Block, opts ...kv.Option) (string, error) {
	if err := lc.Begin(ctx, kv.OpDefrag, "", opts, kv.KindTarget, kv.KindTargetHash); err != nil {
		return "", err
	}
	return Defrag(ctx, b, sources, opts...)
}

// DriverHash is the Backend.Hash of a driver without a remote hash: the
// frame of the call (lc.Begin), then Hash with b, the driver itself.
func DriverHash(ctx context.Context, lc *Lifecycle, b kv.Backend, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := lc.Begin(ctx, kv.OpHash, name, opts); err != nil {
		return "", err
	}
	return Hash(ctx, b, name, algorithm)
}

// DriverQuota is the Backend.Quota of a driver that tracks neither limit
// nor usage: -1, -1 once the store is open.
func DriverQuota(ctx context.Context, lc *Lifecycle) (kv.Quota, error) {
	if err := lc.Begin(ctx, kv.OpQuota, "", nil); err != nil {
		return kv.Quota{}, err
	}
	return kv.Quota{Limit: -1, Usage: -1}, nil
}
