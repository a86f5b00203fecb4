package slowlink

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tcpproxy"
)

// echo starts a TCP echo server and returns its address.
func echo(t *testing.T) string {
	ln, err := tcpproxy.Serve(func(c net.Conn) { defer c.Close(); io.Copy(c, c) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestCarries checks that data goes through whole and in order, both
// ways, and that a round trip takes at least the link's RTT (a lower
// bound, which no scheduling can break).
func TestCarries(t *testing.T) {
	const rtt = 20 * time.Millisecond
	p := Start(t, echo(t), Link{RTT: rtt, Rate: Mbit(100)})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 1<<20)
	rand.Read(data)
	start := time.Now()
	go c.Write(data)
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("the data came back changed")
	}
	if d := time.Since(start); d < rtt {
		t.Errorf("a round trip took %v, less than the RTT %v", d, rtt)
	}
	p.Close()
}
