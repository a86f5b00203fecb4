// Package slowlink is a TCP proxy on loopback that makes a link slow on
// the wire: it delays every byte by half a round trip in each direction
// and caps each direction's rate, so that a benchmark can measure a
// network driver against a real server as over the internet. It is for
// benchmarks, not for tests that assert times.
package slowlink

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Link describes the emulated link.
type Link struct {
	// RTT is the round trip time added: each direction delays by RTT/2.
	RTT time.Duration
	// Rate is the capacity of each direction in bytes per second; 0 is
	// unlimited.
	Rate int64
}

// Mbit returns n megabits per second in bytes per second, for Link.Rate.
func Mbit(n float64) int64 { return int64(n * 1e6 / 8) }

// chunkSize is the most bytes the proxy moves at once; queueLen chunks may
// be on the way in each direction (the link's buffer, 4 MiB).
const (
	chunkSize = 16 << 10
	queueLen  = 256
)

// Proxy forwards the connections it accepts to a target over the link.
type Proxy struct {
	ln     net.Listener
	target string
	link   Link

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Start starts a proxy to target on 127.0.0.1, closed when the test or
// benchmark ends.
func Start(tb testing.TB, target string, link Link) *Proxy {
	tb.Helper()
	p, err := New(target, link)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// New starts a proxy to target on 127.0.0.1; Close stops it.
func New(target string, link Link) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, link: link, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	return p, nil
}

// Addr returns the proxy's address, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
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
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(t, c) })
		p.wg.Go(func() { p.pipe(c, t) })
	}
}

// chunk is data read at a time.
type chunk struct {
	data []byte
	at   time.Time
}

// pipe carries src to dst over one direction of the link: a reader takes
// the data as it comes and stamps it; a writer sends each chunk once the
// link has serialised it (at Rate, after the chunks before it) and it has
// travelled RTT/2.
func (p *Proxy) pipe(dst, src net.Conn) {
	q := make(chan chunk, queueLen)
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	go func() {
		defer close(q)
		for {
			buf := make([]byte, chunkSize)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	oneWay := p.link.RTT / 2
	var free time.Time // when the link has sent the chunks so far
	for c := range q {
		start := free
		if c.at.After(start) {
			start = c.at
		}
		free = start
		if p.link.Rate > 0 {
			free = start.Add(time.Duration(int64(len(c.data)) * int64(time.Second) / p.link.Rate))
		}
		if d := time.Until(free.Add(oneWay)); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.data); err != nil {
			src.Close() // ends the reader
			for range q {
			}
			return
		}
	}
}
