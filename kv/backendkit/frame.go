package backendkit

import (
	"context"
	"errors"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// Begin is the frame every item call of a driver starts with. It makes the
// checks of docs/semantics.md in one order, which kvtest pins for every driver:
//
//  1. the state: ErrNotOpen unless the store is open;
//     (Hidden is allowed to Info, Load, Store and Delete, for a name that
//     ends in ".hid", whose other part must be valid)
//  2. the options: ErrUnsupported for an option outside allowed (an option
//     meant for a layer says that the layer is missing);
//  3. the name: ErrInvalidName unless name is valid for op (the root, "",
//     is valid for OpInfo, OpList and OpMkdir; OpDefrag and OpQuota take no
//     name and check none);
//  4. the context: its error once it is done.
//
// The options come before the name because they decide what the name means:
// a Move(name, "", SoftDelete()) that reaches a driver is a missing layer,
// not an empty name. Every error is a *Error for op on name.
func (l *Lifecycle) Begin(ctx context.Context, op kv.Op, name string, opts []kv.Option, allowed ...kv.OptionKind) error {
	if !l.open.Load() {
		return NewError(op, name, kv.ErrNotOpen, nil)
	}
	check := name
	if len(opts) > 0 {
		if Has(opts, kv.KindHidden) && hiddenOp(op) {
			allowed = append(allowed[:len(allowed):len(allowed)], kv.KindHidden)
			var ok bool
			if check, ok = strings.CutSuffix(name, kv.HiddenSuffix); !ok {
				return NewError(op, name, kv.ErrInvalidName, errors.New("a hidden item's name ends in "+kv.HiddenSuffix))
			}
		}
		if err := CheckOptions(op, name, opts, allowed...); err != nil {
			return err
		}
	}
	if err := validateFor(op, check); err != nil {
		return NewError(op, name, nil, err)
	}
	if err := ctx.Err(); err != nil {
		return NewError(op, name, nil, err)
	}
	return nil
}

// BeginMove is Begin for Move: both names must be valid item names.
func (l *Lifecycle) BeginMove(ctx context.Context, from, to string, opts []kv.Option, allowed ...kv.OptionKind) error {
	if err := l.Begin(ctx, kv.OpMove, from, opts, allowed...); err != nil {
		return err
	}
	if err := kv.ValidateName(to); err != nil {
		return NewError(kv.OpMove, to, nil, err)
	}
	return nil
}

// hiddenOp reports whether op takes the Hidden option.
func hiddenOp(op kv.Op) bool {
	return op == kv.OpInfo || op == kv.OpLoad || op == kv.OpStore || op == kv.OpDelete
}

// validateFor checks name as op needs it.
func validateFor(op kv.Op, name string) error {
	switch op {
	case kv.OpInfo, kv.OpList, kv.OpMkdir:
		return kv.ValidateDirName(name)
	case kv.OpDefrag, kv.OpQuota, kv.OpCreate, kv.OpDestroy, kv.OpOpen, kv.OpClose:
		return nil
	}
	return kv.ValidateName(name)
}

// ListDir returns the directory that List(name) lists: name less one
// trailing "/", so that List("data/") lists the namespace "data/" as
// List("data") does. Drivers call it first in List.
func ListDir(name string) string {
	if n := len(name); n > 1 && name[n-1] == '/' {
		return name[:n-1]
	}
	return name
}
