// Package slowlink is a TCP proxy on loopback that makes a link slow on
// the wire: it delays every byte by half a round trip in each direction
// and caps each direction's rate, so that a benchmark can measure a
// network driver against a real server as over the internet. It is for
// benchmarks, not for tests that assert times.
package slowlink

import (
	"net"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tcpproxy"
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
	*tcpproxy.Proxy
	link Link
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
	p := &Proxy{link: link}
	tp, err := tcpproxy.New(target, p.pipe)
	if err != nil {
		return nil, err
	}
	p.Proxy = tp
	return p, nil
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
