package cache_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// errBroken is the error of a broken spy.
var errBroken = errors.New("broken on purpose")

// spy forwards every call to next, counts the calls per operation, and
// fails every call with errBroken (a kv.ErrConnection) while broken is set,
// or every item call (not Create, Destroy, Open, Close) while itemsBroken
// is set. With jitter set, loads and stores wait a random moment before
// and after they reach next, to widen the windows of races.
type spy struct {
	next        kv.Backend
	calls       [kv.NumOps]atomic.Int64
	broken      atomic.Bool
	itemsBroken atomic.Bool
	jitter      atomic.Bool
}

// wait waits up to 100 µs when jitter is set.
func (s *spy) wait() {
	if s.jitter.Load() {
		time.Sleep(rand.N(100 * time.Microsecond))
	}
}

var _ kv.Backend = (*spy)(nil)

func (s *spy) Unwrap() kv.Backend { return s.next }

// n returns the number of calls of op.
func (s *spy) n(op kv.Op) int64 { return s.calls[op].Load() }

// reset sets the counters to zero.
func (s *spy) reset() {
	for i := range s.calls {
		s.calls[i].Store(0)
	}
}

// call counts a call of op and returns errBroken when the spy is broken.
func (s *spy) call(op kv.Op, name string) error {
	s.calls[op].Add(1)
	item := op != kv.OpCreate && op != kv.OpDestroy && op != kv.OpOpen && op != kv.OpClose
	if s.broken.Load() || item && s.itemsBroken.Load() {
		return backendkit.NewError(op, name, kv.ErrConnection, errBroken)
	}
	return nil
}

func (s *spy) Create(ctx context.Context) error {
	if err := s.call(kv.OpCreate, ""); err != nil {
		return err
	}
	return s.next.Create(ctx)
}

func (s *spy) Destroy(ctx context.Context) error {
	if err := s.call(kv.OpDestroy, ""); err != nil {
		return err
	}
	return s.next.Destroy(ctx)
}

func (s *spy) Open(ctx context.Context) error {
	if err := s.call(kv.OpOpen, ""); err != nil {
		return err
	}
	return s.next.Open(ctx)
}

func (s *spy) Close(ctx context.Context) error {
	if err := s.call(kv.OpClose, ""); err != nil {
		return err
	}
	return s.next.Close(ctx)
}

func (s *spy) Mkdir(ctx context.Context, name string) error {
	if err := s.call(kv.OpMkdir, name); err != nil {
		return err
	}
	return s.next.Mkdir(ctx, name)
}

func (s *spy) Rmdir(ctx context.Context, name string) error {
	if err := s.call(kv.OpRmdir, name); err != nil {
		return err
	}
	return s.next.Rmdir(ctx, name)
}

func (s *spy) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := s.call(kv.OpInfo, name); err != nil {
		return kv.ItemInfo{}, err
	}
	return s.next.Info(ctx, name, opts...)
}

func (s *spy) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if err := s.call(kv.OpLoad, name); err != nil {
		return nil, err
	}
	s.wait()
	defer s.wait()
	return s.next.Load(ctx, name, opts...)
}

func (s *spy) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if err := s.call(kv.OpLoad, name); err != nil {
		return nil, err
	}
	s.wait()
	defer s.wait()
	return s.next.LoadStream(ctx, name, opts...)
}

func (s *spy) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if err := s.call(kv.OpStore, name); err != nil {
		return err
	}
	s.wait()
	defer s.wait()
	return s.next.StoreStream(ctx, name, src, size, opts...)
}

func (s *spy) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := s.call(kv.OpStore, name); err != nil {
		return err
	}
	s.wait()
	defer s.wait()
	return s.next.Store(ctx, name, value, opts...)
}

func (s *spy) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := s.call(kv.OpDelete, name); err != nil {
		return err
	}
	return s.next.Delete(ctx, name, opts...)
}

func (s *spy) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if err := s.call(kv.OpMove, from); err != nil {
		return err
	}
	s.wait()
	defer s.wait()
	return s.next.Move(ctx, from, to, opts...)
}

func (s *spy) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if err := s.call(kv.OpList, name); err != nil {
		return backendkit.ErrorSeq(err)
	}
	return s.next.List(ctx, name, opts...)
}

func (s *spy) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := s.call(kv.OpHash, name); err != nil {
		return "", err
	}
	return s.next.Hash(ctx, name, algorithm, opts...)
}

func (s *spy) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if err := s.call(kv.OpDefrag, ""); err != nil {
		return "", err
	}
	return s.next.Defrag(ctx, sources, opts...)
}

func (s *spy) Quota(ctx context.Context) (kv.Quota, error) {
	if err := s.call(kv.OpQuota, ""); err != nil {
		return kv.Quota{}, err
	}
	return s.next.Quota(ctx)
}
