package backendkit_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

func TestClampRange(t *testing.T) {
	const n = 10 // "0123456789"
	for _, tc := range []struct {
		offset, size int64
		want         string
	}{
		{0, -1, "0123456789"},
		{2, 3, "234"},
		{-3, -1, "789"},
		{-4, 2, "67"},
		{-20, 3, "012"},
		{3, 0, ""},
		{10, 5, ""},
		{50, -1, ""},
		{8, 5, "89"},
		{4, -7, "456789"},
	} {
		start, end := backendkit.ClampRange(n, tc.offset, tc.size)
		assert.Equal(t, tc.want, "0123456789"[start:end], "range(%d,%d)", tc.offset, tc.size)
	}
}

func TestCheckOptions(t *testing.T) {
	assert.NoError(t, backendkit.CheckOptions(kv.OpLoad, "k", nil))
	assert.NoError(t, backendkit.CheckOptions(kv.OpLoad, "k", []kv.Option{kv.Range(0, 1)}, kv.KindRange))

	err := backendkit.CheckOptions(kv.OpMove, "k", []kv.Option{kv.SoftDelete()})
	assert.ErrorIs(t, err, kv.ErrUnsupported)
	assert.ErrorContains(t, err, "needs a soft-delete layer")
	err = backendkit.CheckOptions(kv.OpMove, "k", []kv.Option{kv.ChangeLevel()})
	assert.ErrorContains(t, err, "needs a nesting layer")
	err = backendkit.CheckOptions(kv.OpStore, "k", []kv.Option{kv.Range(1, 2)})
	assert.ErrorIs(t, err, kv.ErrUnsupported)
	assert.ErrorContains(t, err, "range(1,2) does not apply to store")
}

func TestOptionHelpers(t *testing.T) {
	opts := []kv.Option{kv.Deleted(), kv.Range(1, 2), kv.Range(3, 4)}
	assert.True(t, backendkit.Has(opts, kv.KindDeleted))
	assert.False(t, backendkit.Has(opts, kv.KindUndelete))
	off, size, ok := backendkit.RangeOf(opts)
	assert.Equal(t, []any{int64(3), int64(4), true}, []any{off, size, ok}, "the last range wins")

	rest := backendkit.Without(opts, kv.KindDeleted)
	assert.Len(t, rest, 2)
	assert.Len(t, opts, 3, "Without leaves its argument alone")
	assert.Equal(t, 0.0, testing.AllocsPerRun(10, func() { _ = backendkit.Without(opts[1:], kv.KindDeleted) }),
		"nothing to drop, nothing allocated")

	name, alg := backendkit.DefragTarget(nil)
	assert.Equal(t, []string{"", "sha256"}, []string{name, alg})
	name, alg = backendkit.DefragTarget([]kv.Option{kv.TargetHash("blake3"), kv.Target("data/x")})
	assert.Equal(t, []string{"data/x", "blake3"}, []string{name, alg})

	assert.Equal(t, "target(data/x)", kv.Target("data/x").String())
	assert.Equal(t, "soft-delete", kv.SoftDelete().String())
	assert.Equal(t, "option(99)", kv.OptionKind(99).String())
}

func TestHashBytes(t *testing.T) {
	for _, alg := range kv.HashAlgorithms() {
		h, err := backendkit.HashBytes(alg, []byte("abc"))
		require.NoError(t, err, alg)
		assert.NotEmpty(t, h)
	}
	h, err := backendkit.HashBytes("", []byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h, "sha256 by default")
	_, err = backendkit.HashBytes("crc32", nil)
	assert.ErrorIs(t, err, kv.ErrUnsupported)
	assert.ErrorContains(t, err, "known: [sha256")
}

func TestLifecycle(t *testing.T) {
	var l backendkit.Lifecycle
	ctx := context.Background()
	assert.False(t, l.IsOpen())
	assert.ErrorIs(t, l.Begin(ctx, kv.OpLoad, "k", nil), kv.ErrNotOpen)
	assert.ErrorIs(t, l.Transition(ctx, kv.OpClose, func() error { return nil }), kv.ErrNotOpen)
	require.NoError(t, l.Transition(ctx, kv.OpOpen, func() error { return nil }))
	assert.True(t, l.IsOpen())
	assert.NoError(t, l.Begin(ctx, kv.OpLoad, "k", nil))
	assert.ErrorIs(t, l.Transition(ctx, kv.OpDestroy, func() error { return nil }), kv.ErrAlreadyOpen)
}

func TestBeginOrder(t *testing.T) {
	var l backendkit.Lifecycle
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bad := []kv.Option{kv.SoftDelete()}
	assert.ErrorIs(t, l.Begin(ctx, kv.OpLoad, "Bad", bad), kv.ErrNotOpen, "the state first")
	require.NoError(t, l.Transition(context.Background(), kv.OpOpen, func() error { return nil }))
	assert.ErrorIs(t, l.Begin(ctx, kv.OpLoad, "Bad", bad), kv.ErrUnsupported, "then the options")
	assert.ErrorIs(t, l.Begin(ctx, kv.OpLoad, "Bad", nil), kv.ErrInvalidName, "then the name")
	assert.ErrorIs(t, l.Begin(ctx, kv.OpLoad, "ok", nil), context.Canceled, "then the context")
	assert.NoError(t, l.Begin(context.Background(), kv.OpLoad, "ok", []kv.Option{kv.Range(0, 1)}, kv.KindRange))
	for _, op := range []kv.Op{kv.OpInfo, kv.OpList, kv.OpMkdir, kv.OpQuota, kv.OpDefrag} {
		assert.NoError(t, l.Begin(context.Background(), op, "", nil), "%s accepts the root", op)
	}
	for _, op := range []kv.Op{kv.OpLoad, kv.OpStore, kv.OpDelete, kv.OpHash, kv.OpRmdir} {
		assert.ErrorIs(t, l.Begin(context.Background(), op, "", nil), kv.ErrInvalidName, "%s refuses the root", op)
	}
	assert.ErrorIs(t, l.BeginMove(context.Background(), "a", "", nil), kv.ErrInvalidName, "move checks its target")
}

func TestSliceSeq(t *testing.T) {
	items := []kv.ItemInfo{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	var got []string
	for it, err := range backendkit.SliceSeq(context.Background(), kv.OpList, "", items) {
		require.NoError(t, err)
		got = append(got, it.Name)
		if it.Name == "b" {
			break
		}
	}
	assert.Equal(t, []string{"a", "b"}, got, "stops when the caller stops")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range backendkit.SliceSeq(ctx, kv.OpList, "ns", items) {
		assert.ErrorIs(t, err, context.Canceled)
	}
	for _, err := range backendkit.ErrorSeq(kv.ErrNotFound) {
		assert.ErrorIs(t, err, kv.ErrNotFound)
	}
}

// wrapper is a minimal layer, for walking down a stack.
type wrapper struct{ kv.Backend }

func (w wrapper) Unwrap() kv.Backend { return w.Backend }

// consumer is a minimal layer that consumes soft-delete options.
type consumer struct{ wrapper }

func (consumer) ConsumesOptions() []kv.OptionKind { return []kv.OptionKind{kv.KindDeleted} }

func TestConsumes(t *testing.T) {
	stack := consumer{wrapper{wrapper{}}}
	assert.True(t, backendkit.Consumes(stack, kv.KindDeleted))
	assert.False(t, backendkit.Consumes(stack, kv.KindChangeLevel))
}

func TestFSError(t *testing.T) {
	for _, tc := range []struct {
		err, want error
	}{
		{fs.ErrNotExist, kv.ErrNotFound},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrExist}, kv.ErrExists},
		{fs.ErrPermission, kv.ErrPermission},
	} {
		err := backendkit.FSError(kv.OpLoad, "x", tc.err)
		assert.ErrorIs(t, err, tc.want)
		assert.ErrorIs(t, err, tc.err, "the cause stays")
	}
	plain := backendkit.FSError(kv.OpLoad, "x", errors.New("disk on fire"))
	assert.EqualError(t, plain, `load "x": disk on fire`)
	already := backendkit.NewError(kv.OpStore, "y", kv.ErrExists, nil)
	assert.Same(t, already, backendkit.FSError(kv.OpLoad, "x", already), "a kv error passes as it is")
}

func TestTransition(t *testing.T) {
	var l backendkit.Lifecycle
	ctx := context.Background()
	ran := 0
	work := func() error { ran++; return nil }
	fail := errors.New("no disk")

	assert.ErrorIs(t, l.Transition(ctx, kv.OpClose, work), kv.ErrNotOpen)
	assert.ErrorIs(t, l.Transition(ctx, kv.OpOpen, func() error { return fail }), fail)
	assert.False(t, l.IsOpen(), "a failed open leaves the store closed")
	require.NoError(t, l.Transition(ctx, kv.OpCreate, work))
	assert.False(t, l.IsOpen(), "create does not open")
	require.NoError(t, l.Transition(ctx, kv.OpOpen, work))
	assert.True(t, l.IsOpen())
	for _, op := range []kv.Op{kv.OpCreate, kv.OpDestroy, kv.OpOpen} {
		assert.ErrorIs(t, l.Transition(ctx, op, work), kv.ErrAlreadyOpen, op.String())
	}
	assert.ErrorIs(t, l.Transition(ctx, kv.OpClose, func() error { return fail }), fail)
	assert.False(t, l.IsOpen(), "close closes even when its work fails")
	assert.Equal(t, 2, ran, "work runs only in the right state")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, l.Transition(cancelled, kv.OpCreate, work), context.Canceled)
}

func TestBeginHidden(t *testing.T) {
	var l backendkit.Lifecycle
	ctx := context.Background()
	require.NoError(t, l.Transition(ctx, kv.OpOpen, func() error { return nil }))
	hidden := []kv.Option{kv.Hidden()}
	for _, op := range []kv.Op{kv.OpInfo, kv.OpLoad, kv.OpStore, kv.OpDelete} {
		assert.NoError(t, l.Begin(ctx, op, "quota.hid", hidden), "%s of a hidden item", op)
		assert.ErrorIs(t, l.Begin(ctx, op, "quota.hid", nil), kv.ErrInvalidName, "%s of a .hid name without Hidden", op)
		assert.ErrorIs(t, l.Begin(ctx, op, "quota", hidden), kv.ErrInvalidName, "%s with Hidden of a name without .hid", op)
		assert.ErrorIs(t, l.Begin(ctx, op, "Bad.hid", hidden), kv.ErrInvalidName, "%s with Hidden of an invalid name", op)
	}
	assert.ErrorIs(t, l.Begin(ctx, kv.OpHash, "quota.hid", hidden), kv.ErrUnsupported, "hash takes no Hidden")
	assert.ErrorIs(t, l.Begin(ctx, kv.OpList, "", hidden), kv.ErrUnsupported, "list takes no Hidden")
}

func ExampleClampRange() {
	value := []byte("0123456789")
	for _, r := range [][2]int64{{-3, -1}, {-4, 2}, {8, 100}} {
		start, end := backendkit.ClampRange(int64(len(value)), r[0], r[1])
		fmt.Printf("%s: %s\n", kv.Range(r[0], r[1]), value[start:end])
	}
	// Output:
	// range(-3,-1): 789
	// range(-4,2): 67
	// range(8,100): 89
}
