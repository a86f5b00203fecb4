package kv_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose/kv"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		why  string
	}{
		{"data/0123abcd", true, ""},
		{"a.b_c-d~e:f+g=h,i@j", true, ""},
		{"data/01/23/0123abcd.del", true, ""},
		{strings.Repeat("a", kv.MaxNameLen), true, ""},
		{strings.Repeat("a", kv.MaxNameLen+1), false, "longer than 100"},
		{"", false, "the name is empty"},
		{"Data", false, "character 'D' at 0 is not allowed: names are lowercase"},
		{"a b", false, "character ' '"},
		{`a\b`, false, `character '\\'`},
		{"a?b", false, "character '?'"},
		{"a#b", false, "character '#'"},
		{"a%b", false, "character '%'"},
		{"a\x00b", false, `character '\x00'`},
		{"é", false, `byte '\xc3' at 0 is not allowed: names are ASCII`},
		{"/a", false, "leading /"},
		{"a/", false, "trailing /"},
		{"a//b", false, "empty path segment"},
		{"..", false, `".."`},
		{"a/../b", false, `".."`},
		{"a..b", false, `".."`},
		{"a.tmp", false, "ends in .tmp"},
		{"a.hid", false, "ends in .hid"},
		{".", false, `"." segment`},
		{"./keys/repokey", false, `"." segment`},
		{"keys/./x", false, `"." segment`},
		{"keys/.", false, `"." segment`},
		{"/.", false, "leading /"},
		{"data//x", false, "empty path segment"},
		{"a/.b", true, ""},
		{"a./b", true, ""},
		{".a/b.", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := kv.ValidateName(tc.name)
			assert.Equal(t, tc.ok, kv.IsValidName(tc.name))
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, kv.ErrInvalidName)
			assert.ErrorContains(t, err, tc.why)
		})
	}
	assert.NoError(t, kv.ValidateDirName(""), "the root is a valid directory")
	assert.ErrorIs(t, kv.ValidateDirName("a/"), kv.ErrInvalidName)
	assert.ErrorIs(t, kv.ValidateDirName("."), kv.ErrInvalidName, "the root has one name, \"\"")
}

func TestError(t *testing.T) {
	cause := errors.New("disk on fire")
	err := error(&kv.Error{Op: kv.OpLoad, Name: "data/ab", Kind: kv.ErrNotFound, Err: cause})
	assert.EqualError(t, err, `load "data/ab": not found: disk on fire`)
	assert.ErrorIs(t, err, kv.ErrNotFound)
	assert.ErrorIs(t, err, cause)
	wrapped := fmt.Errorf("borg: %w", err)
	assert.ErrorIs(t, wrapped, kv.ErrNotFound, "reachable through further wrapping")
	var e *kv.Error
	require.ErrorAs(t, wrapped, &e)
	assert.Equal(t, kv.OpLoad, e.Op)

	assert.EqualError(t, &kv.Error{Op: kv.OpClose, Kind: kv.ErrNotOpen}, "close: store is not open")
	ctxErr := &kv.Error{Op: kv.OpStore, Name: "k", Err: context.Canceled}
	assert.ErrorIs(t, ctxErr, context.Canceled)
	assert.NotErrorIs(t, ctxErr, kv.ErrNotFound)
}

func TestOpString(t *testing.T) {
	assert.Equal(t, "info", kv.OpInfo.String())
	assert.Equal(t, "quota", kv.OpQuota.String())
	assert.Equal(t, "op(99)", kv.Op(99).String())
	seen := map[string]bool{}
	for o := range kv.NumOps {
		assert.NotContains(t, seen, o.String())
		seen[o.String()] = true
	}
}

// wrapper is a minimal layer, for walking down a stack.
type wrapper struct{ kv.Backend }

func (w wrapper) Unwrap() kv.Backend { return w.Backend }

// described is a minimal driver that describes itself.
type described struct{ kv.Backend }

func (described) Properties() kv.Properties { return kv.Properties{Scheme: "test", Precreate: true} }

// consumer is a minimal layer that consumes soft-delete options.
type consumer struct{ wrapper }

func (consumer) ConsumesOptions() []kv.OptionKind { return []kv.OptionKind{kv.KindDeleted} }

func TestStackWalks(t *testing.T) {
	assert.Equal(t, kv.Properties{}, kv.PropertiesOf(wrapper{}), "a stack that ends without a driver")
	stack := consumer{wrapper{wrapper{described{}}}}
	assert.Equal(t, kv.Properties{Scheme: "test", Precreate: true}, kv.PropertiesOf(stack))
	n := 0
	for range kv.Stack(stack) {
		n++
	}
	assert.Equal(t, 3, n, "the walk yields every backend, the driver last")
	d, ok := kv.As[described](stack)
	assert.True(t, ok)
	assert.Equal(t, "test", d.Properties().Scheme)
	_, ok = kv.As[consumer](wrapper{})
	assert.False(t, ok)
}
