package sshdtest

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tcpproxy"
	"github.com/kvcompose/compose/kv"
)

// Proxy forwards TCP connections to a target, and can cut them or stop
// forwarding, to test what a client does when its link breaks or hangs.
type Proxy struct {
	*tcpproxy.Proxy

	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	held   int // pipes holding data back while paused
}

// NewProxy starts a proxy to target on 127.0.0.1, stopped when the test
// ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{}
	p.cond = sync.NewCond(&p.mu)
	tp, err := tcpproxy.New(target, p.pipe)
	if err != nil {
		tb.Fatal(err)
	}
	p.Proxy = tp
	tb.Cleanup(p.Close)
	return p
}

// Held returns how many directions of connections hold data back because
// the proxy is paused: a request (or reply) that is on its way and stuck.
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// pipe copies from src to dst, holding data back while paused.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		if p.paused && n > 0 {
			p.held++
			for p.paused {
				p.cond.Wait()
			}
			p.held--
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a cut
		}
	}
}

// WaitHeld waits until the paused proxy holds data back: a request (or
// reply) is on its way and stuck. It fails the test after 10 seconds.
func (p *Proxy) WaitHeld(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Held() == 0 {
		if time.Now().After(deadline) {
			tb.Fatal("no request reached the paused proxy")
		}
		time.Sleep(time.Millisecond)
	}
}

// Pause stops (true) or resumes (false) forwarding: while paused the
// connections stay open and carry nothing, as a link that hangs.
func (p *Proxy) Pause(on bool) {
	p.mu.Lock()
	p.paused = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	p.Pause(false)
	p.Proxy.Close()
}

// CheckCancelStuckLoad checks that cancelling a Load stuck on the paused
// link through p ends it with context.Canceled, and that b, an open store
// whose link goes through p, works again once the link flows.
func (p *Proxy) CheckCancelStuckLoad(tb testing.TB, b kv.Backend) {
	tb.Helper()
	if err := b.Store(context.Background(), "ns/a", make([]byte, 1<<20)); err != nil {
		tb.Fatal(err)
	}
	p.Pause(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.Load(ctx, "ns/a")
		done <- err
	}()
	p.WaitHeld(tb)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		tb.Fatalf("load of a hung link, cancelled: %v, want context.Canceled", err)
	}
	p.Pause(false)
	if _, err := b.Load(context.Background(), "ns/a"); err != nil {
		tb.Errorf("load after the cancelled one: %v", err)
	}
}
