package throttle_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/layers/throttle"
)

// drainStream reads a LoadStream to its end and closes it.
func drainStream(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	return errors.Join(err, rc.Close())
}

// signalStream is a backend whose LoadStream closes called at the first
// byte read from below, so that the throttle layer above is pacing it.
type signalStream struct {
	kv.Backend
	called chan struct{}
}

func (s signalStream) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	rc, err := s.Backend.LoadStream(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return backendkit.ObserveReader(rc, func(int) { once.Do(func() { close(s.called) }) }, nil), nil
}

// signalSource closes called at its first Read.
type signalSource struct {
	r      io.Reader
	called chan struct{}
	once   sync.Once
}

func (s *signalSource) Read(p []byte) (int, error) {
	s.once.Do(func() { close(s.called) })
	return s.r.Read(p)
}

// TestCancelEndsStream cancels streams paced at 1 bit/s (1000 bytes take
// over two hours) while they wait for the link: the Read of a LoadStream
// and the StoreStream end with context.Canceled, and the StoreStream
// stores nothing.
func TestCancelEndsStream(t *testing.T) {
	for _, cfg := range []throttle.Config{{Bandwidth: 1}, {Upload: 1, Download: 1}} {
		t.Run(cfg.String()+"/load", func(t *testing.T) {
			sig := signalStream{Backend: openStore(t), called: make(chan struct{})}
			l := throttle.New(sig, cfg)
			ctx, cancel := context.WithCancel(context.Background())
			rc, err := l.LoadStream(ctx, "ns/a")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			go func() { <-sig.called; cancel() }()
			done := make(chan error, 1)
			go func() { _, err := io.Copy(io.Discard, rc); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("read: %v, want context.Canceled", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("the wait did not end on cancellation")
			}
		})
		t.Run(cfg.String()+"/store", func(t *testing.T) {
			b := openStore(t)
			l := throttle.New(b, cfg)
			ctx, cancel := context.WithCancel(context.Background())
			src := &signalSource{r: bytes.NewReader(make([]byte, 1000)), called: make(chan struct{})}
			go func() { <-src.called; cancel() }()
			done := make(chan error, 1)
			go func() { done <- l.StoreStream(ctx, "ns/c", src, 1000) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("store: %v, want context.Canceled", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("the wait did not end on cancellation")
			}
			if info, err := b.Info(context.Background(), "ns/c"); err != nil || info.Exists {
				t.Errorf("a cancelled StoreStream left %+v, %v", info, err)
			}
		})
	}
}
