package backendkit

import (
	"fmt"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// CheckName checks name as a call of op with opts takes it, as
// Lifecycle.Begin does: the root is valid for Info, List and Mkdir, a
// List takes one trailing "/", and Hidden admits a name ending in ".hid"
// on Info, Load, Store and Delete. A layer that judges names (permissions)
// calls it first, so that it never judges an alias. The error is a *Error
// for op on name that wraps ErrInvalidName.
func CheckName(op kv.Op, name string, opts []kv.Option) error {
	check := name
	if op == kv.OpList {
		check = ListDir(check)
	}
	if Has(opts, kv.KindHidden) && hiddenOp(op) {
		var ok bool
		if check, ok = strings.CutSuffix(check, kv.HiddenSuffix); !ok {
			return NewError(op, name, kv.ErrInvalidName, fmt.Errorf("a hidden item's name ends in %s", kv.HiddenSuffix))
		}
	}
	if op == kv.OpDefrag {
		return validateOrWrap(op, name, kv.ValidateName(check))
	}
	return validateOrWrap(op, name, validateFor(op, check))
}

// validateOrWrap returns err, if any, as a *Error of op on name.
func validateOrWrap(op kv.Op, name string, err error) error {
	if err != nil {
		return NewError(op, name, nil, err)
	}
	return nil
}
