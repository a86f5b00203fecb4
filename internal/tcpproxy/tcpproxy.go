// Package tcpproxy forwards the TCP connections it accepts on 127.0.0.1 to
// a target through a pipe of the caller's for each direction: the base of
// the test proxies, a link that breaks or hangs (internal/sshdtest) and a
// slow link (internal/slowlink). Serve is the base of test servers that
// speak no protocol.
package tcpproxy

import (
	"net"
	"sync"
)

// Pipe carries src to dst until either fails or ends; the proxy then
// closes both and forgets them.
type Pipe func(dst, src net.Conn)

// Proxy forwards the connections it accepts to its target.
type Proxy struct {
	ln     net.Listener
	target string
	pipe   Pipe

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	count int // connections accepted
	wg    sync.WaitGroup
}

// New starts a proxy to target on 127.0.0.1 that carries each direction of
// a connection with pipe; Close stops it.
func New(target string, pipe Pipe) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, pipe: pipe, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	return p, nil
}

// Serve accepts connections on 127.0.0.1 and hands each to handle, in a
// goroutine of its own, until the listener it returns is closed: an echo
// server, one that hangs up at once.
func Serve(handle func(net.Conn)) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln, nil
}

// Addr returns the proxy's address, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Cut closes every connection through the proxy, as a dropped link does;
// new connections are accepted.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Close stops accepting, closes every connection and waits for the pipes
// to end.
func (p *Proxy) Close() {
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		t, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[t] = struct{}{}, struct{}{}
		p.count++
		p.mu.Unlock()
		p.wg.Go(func() { p.carry(t, c) })
		p.wg.Go(func() { p.carry(c, t) })
	}
}

// carry runs the pipe from src to dst, then closes and forgets both.
func (p *Proxy) carry(dst, src net.Conn) {
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	p.pipe(dst, src)
}
