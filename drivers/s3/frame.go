package s3

import (
	"context"

	"github.com/kvcompose/compose/kv"
)

// begin is the frame every item call starts with, in the order of
// SEMANTICS.md: the store is open, the options apply, the name is valid
// (the root "" for Info, List and Mkdir; none for Quota), the context is
// not done.
func begin(l *kv.Lifecycle, ctx context.Context, op kv.Op, name string, opts []kv.Option, allowed ...kv.OptionKind) error {
	if err := l.CheckOpen(op.String(), name); err != nil {
		return err
	}
	if err := kv.CheckOptions(op.String(), name, opts, allowed...); err != nil {
		return err
	}
	if op != kv.OpQuota {
		validate := kv.ValidateName
		if op == kv.OpInfo || op == kv.OpList || op == kv.OpMkdir {
			validate = kv.ValidateDirName
		}
		if err := validate(name); err != nil {
			return kv.NewError(op.String(), name, nil, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return kv.NewError(op.String(), name, nil, err)
	}
	return nil
}

// beginMove is begin for Move: both names are checked.
func beginMove(l *kv.Lifecycle, ctx context.Context, from, to string, opts []kv.Option, allowed ...kv.OptionKind) error {
	if err := begin(l, ctx, kv.OpMove, from, opts, allowed...); err != nil {
		return err
	}
	if err := kv.ValidateName(to); err != nil {
		return kv.NewError(kv.OpMove.String(), to, nil, err)
	}
	return nil
}
