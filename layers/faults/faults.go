// Package faults is a kv.Backend layer for tests that makes chosen calls
// fail, late or cut short, on purpose and reproducibly, and counts the
// calls that pass through it.
//
// Each Rule picks calls by operation and name prefix, and fires on every
// Nth of them, after N of them, or at random with a probability drawn from
// its own seeded generator, so that a test sees the same faults on every
// run (for calls made in the same order). A fired rule adds latency (with
// jitter, cut short when the context is done) and fails the call with the
// chosen error: before it reaches the backend (Refuse), after it did its
// work (LoseReply), or in the middle of a transfer (CutShort). A value cut
// short is always returned with an error, never as a short success. A call
// whose context is done already passes undisturbed (a driver answers it
// without the link), and the rules do not count it.
//
// LoadStream and StoreStream are disturbed by the rules of kv.OpLoad and
// kv.OpStore, and counted as such; cut short, a stream fails in the
// middle, after the rule's CutAfter bytes (see CutShort).
package faults

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// ErrInjected is the cause of every error the layer injects:
// errors.Is(err, faults.ErrInjected) tells an injected fault from a real
// one.
var ErrInjected = errors.New("injected fault")

// Layer disturbs the calls that its rules select and counts all calls. It
// is safe for concurrent use; each rule guards its counters and generator
// with a lock of its own.
type Layer struct {
	next     kv.Backend
	rules    []*rule
	calls    [kv.NumOps]atomic.Int64
	injected [kv.NumOps]atomic.Int64
}

var _ kv.Backend = (*Layer)(nil)

// New returns a faults layer over next that applies rules, each to every
// call, in order: every rule that matches a call counts it, the delays of
// the rules that fire add up, and the first fired rule with an error
// decides how the call fails. With no rules the layer only counts calls.
// New panics, naming the rule, if a rule is not valid (a negative count or
// duration, a probability outside [0, 1], an unknown operation or mode).
func New(next kv.Backend, rules ...Rule) *Layer {
	l := &Layer{next: next, rules: make([]*rule, len(rules))}
	for i, r := range rules {
		l.rules[i] = newRule(i, r)
	}
	return l
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// Calls returns the number of calls of op that reached the layer, failed
// ones included (a List counts when its iteration starts).
func (l *Layer) Calls(op kv.Op) int64 { return l.calls[op].Load() }

// Injected returns the number of calls of op that the layer failed.
func (l *Layer) Injected(op kv.Op) int64 { return l.injected[op].Load() }

// Reset sets the counts of Calls and Injected to zero. The rules keep
// their own counts and generators: the sequence of faults goes on.
func (l *Layer) Reset() {
	for i := range l.calls {
		l.calls[i].Store(0)
		l.injected[i].Store(0)
	}
}

// fault is what the rules decided for one call: err, if not nil, is the
// error to fail it with, as mode says.
type fault struct {
	err  error
	mode Mode
	cut  int64 // CutShort: the bytes a stream passes before it fails
}

// enter counts a call of op on name, applies the delays of the rules that
// fire on it, and returns the fault to inject. It returns an error when the
// call must not go down: refused, or ctx done during the delay. A call
// whose context is done already goes down undisturbed, and the rules do
// not count it: a driver answers it without using the link (with the
// context's error, or a state, option or name error that it checks first).
func (l *Layer) enter(ctx context.Context, op kv.Op, name string) (fault, error) {
	return l.admit(ctx, op, name, op == kv.OpLoad || op == kv.OpList)
}

// admit is enter for a call that can be cut short (cuts) or is refused
// instead.
func (l *Layer) admit(ctx context.Context, op kv.Op, name string, cuts bool) (fault, error) {
	l.calls[op].Add(1)
	if len(l.rules) == 0 || ctx.Err() != nil {
		return fault{}, nil
	}
	var (
		f     fault
		delay time.Duration
	)
	for _, r := range l.rules {
		fired, d := r.fire(op, name)
		if !fired {
			continue
		}
		delay += d
		if f.err == nil && r.Err != nil {
			f = fault{err: backendkit.NewError(op, name, r.Err, ErrInjected), mode: r.Mode, cut: r.CutAfter}
		}
	}
	if err := backoff.Sleep(ctx, delay); err != nil {
		return fault{}, backendkit.NewError(op, name, nil, err)
	}
	if f.err == nil {
		return f, nil
	}
	l.injected[op].Add(1)
	if f.mode == Refuse || f.mode == CutShort && !cuts {
		return fault{}, f.err
	}
	return f, nil
}

// reply returns the result of a call that went down: err, or the injected
// error that replaces its reply.
func (f fault) reply(err error) error {
	if f.err != nil {
		return f.err
	}
	return err
}

// Create forwards Create, disturbed by the rules.
func (l *Layer) Create(ctx context.Context) error {
	f, err := l.enter(ctx, kv.OpCreate, "")
	if err != nil {
		return err
	}
	return f.reply(l.next.Create(ctx))
}

// Destroy forwards Destroy, disturbed by the rules.
func (l *Layer) Destroy(ctx context.Context) error {
	f, err := l.enter(ctx, kv.OpDestroy, "")
	if err != nil {
		return err
	}
	return f.reply(l.next.Destroy(ctx))
}

// Open forwards Open, disturbed by the rules.
func (l *Layer) Open(ctx context.Context) error {
	f, err := l.enter(ctx, kv.OpOpen, "")
	if err != nil {
		return err
	}
	return f.reply(l.next.Open(ctx))
}

// Close forwards Close, disturbed by the rules.
func (l *Layer) Close(ctx context.Context) error {
	f, err := l.enter(ctx, kv.OpClose, "")
	if err != nil {
		return err
	}
	return f.reply(l.next.Close(ctx))
}

// Mkdir forwards Mkdir, disturbed by the rules.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	f, err := l.enter(ctx, kv.OpMkdir, name)
	if err != nil {
		return err
	}
	return f.reply(l.next.Mkdir(ctx, name))
}

// Rmdir forwards Rmdir, disturbed by the rules.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	f, err := l.enter(ctx, kv.OpRmdir, name)
	if err != nil {
		return err
	}
	return f.reply(l.next.Rmdir(ctx, name))
}

// Info forwards Info, disturbed by the rules.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	f, err := l.enter(ctx, kv.OpInfo, name)
	if err != nil {
		return kv.ItemInfo{}, err
	}
	info, err := l.next.Info(ctx, name, opts...)
	if f.err != nil {
		return kv.ItemInfo{}, f.err
	}
	return info, err
}

// Load forwards Load, disturbed by the rules. Cut short, it returns the
// first half of the value with the injected error.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	f, err := l.enter(ctx, kv.OpLoad, name)
	if err != nil {
		return nil, err
	}
	value, err := l.next.Load(ctx, name, opts...)
	switch {
	case f.err == nil:
		return value, err
	case f.mode == CutShort && err == nil:
		return value[:len(value)/2], f.err
	}
	return nil, f.err
}

// Store forwards Store, disturbed by the rules. A store cut short is
// refused: nothing is written.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	f, err := l.enter(ctx, kv.OpStore, name)
	if err != nil {
		return err
	}
	return f.reply(l.next.Store(ctx, name, value, opts...))
}

// Delete forwards Delete, disturbed by the rules.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	f, err := l.enter(ctx, kv.OpDelete, name)
	if err != nil {
		return err
	}
	return f.reply(l.next.Delete(ctx, name, opts...))
}

// Move forwards Move, disturbed by the rules that match from.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	f, err := l.enter(ctx, kv.OpMove, from)
	if err != nil {
		return err
	}
	return f.reply(l.next.Move(ctx, from, to, opts...))
}

// Hash forwards Hash, disturbed by the rules.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	f, err := l.enter(ctx, kv.OpHash, name)
	if err != nil {
		return "", err
	}
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	if f.err != nil {
		return "", f.err
	}
	return sum, err
}

// Defrag forwards Defrag, disturbed by the rules that match the name of
// its first source.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	first := ""
	if len(sources) > 0 {
		first = sources[0].Name
	}
	f, err := l.enter(ctx, kv.OpDefrag, first)
	if err != nil {
		return "", err
	}
	name, err := l.next.Defrag(ctx, sources, opts...)
	if f.err != nil {
		return "", f.err
	}
	return name, err
}

// Quota forwards Quota, disturbed by the rules.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	f, err := l.enter(ctx, kv.OpQuota, "")
	if err != nil {
		return kv.Quota{}, err
	}
	q, err := l.next.Quota(ctx)
	if f.err != nil {
		return kv.Quota{}, f.err
	}
	return q, err
}

// List forwards List, disturbed by the rules when the iteration starts.
// With a lost reply the backend's listing runs to its end and only the
// error is yielded; cut short, the first half of its entries are yielded,
// then the error.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		f, err := l.enter(ctx, kv.OpList, name)
		if err != nil {
			yield(kv.ItemInfo{}, err)
			return
		}
		if f.err == nil {
			for it, err := range l.next.List(ctx, name, opts...) {
				if !yield(it, err) {
					return
				}
			}
			return
		}
		var items []kv.ItemInfo
		for it, err := range l.next.List(ctx, name, opts...) {
			if err != nil {
				break
			}
			items = append(items, it)
		}
		if f.mode == CutShort {
			for _, it := range items[:len(items)/2] {
				if !yield(it, nil) {
					return
				}
			}
		}
		yield(kv.ItemInfo{}, f.err)
	}
}
