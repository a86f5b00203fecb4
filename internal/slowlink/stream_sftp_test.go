package slowlink_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/slowlink"
	"github.com/kvcompose/compose/internal/sshdtest"
)

// BenchmarkLinkStreamSFTP measures the sftp driver's StoreStream and
// LoadStream of 64 MiB, and its Store and Load of the same value, on
// loopback and through the slow link (20 ms RTT, 100 Mbit/s): MB/s; on the
// slow link link-% (the share of its rate); on loopback B/op and
// peak-heap-MiB, the most heap occupied during the call above what was
// occupied before (sampled every millisecond), which shows that a stream's
// memory does not grow with the value (its source holds none of it; the
// proxy of the slow link, in the same process, allocates every chunk it
// carries, hence no memory figures there). Run it with -benchtime=1x:
//
//	go test -run '^$' -bench LinkStreamSFTP -benchtime 1x ./internal/slowlink/
func BenchmarkLinkStreamSFTP(b *testing.B) {
	const size = 64 << 20
	for _, slow := range []bool{false, true} {
		b.Run(map[bool]string{false: "loopback", true: "slow"}[slow], func(b *testing.B) {
			s := sshdtest.Start(b)
			addr := s.Addr()
			if slow {
				addr = slowlink.Start(b, addr, link).Addr()
			}
			dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			d, err := sftp.FromURL("sftp://kvtest/"+filepath.Join(b.TempDir(), "store"),
				sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(s.KnownHosts), sftp.WithDialer(dial))
			must(b, err)
			open(b, d)
			ctx := context.Background()
			must(b, d.StoreStream(ctx, "data/stream", io.LimitReader(endless{}, size), size))
			calls := []struct {
				name string
				f    func() error
				prep func() // before the peak
			}{
				{"StoreStream", func() error {
					return d.StoreStream(ctx, "data/stream", io.LimitReader(endless{}, size), size)
				}, nil},
				{"LoadStream", func() error {
					r, err := d.LoadStream(ctx, "data/stream")
					if err != nil {
						return err
					}
					_, err = io.Copy(io.Discard, r)
					r.Close()
					return err
				}, nil},
				{"Store", func() error { return d.Store(ctx, "data/value", value(size)) }, func() { value(size) }},
				{"Load", func() error { _, err := d.Load(ctx, "data/stream"); return err }, nil},
			}
			for _, c := range calls {
				b.Run(c.name, func(b *testing.B) {
					if c.prep != nil {
						c.prep()
					}
					b.SetBytes(size)
					if !slow {
						b.ReportAllocs()
					}
					var peak uint64
					for b.Loop() {
						var err error
						peak = max(peak, peakHeap(func() { err = c.f() }))
						must(b, err)
					}
					if !slow {
						b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
					} else {
						mbs := float64(size) * float64(b.N) / b.Elapsed().Seconds() / 1e6
						b.ReportMetric(100*mbs/(float64(link.Rate)/1e6), "link-%")
					}
				})
			}
		})
	}
}

// value returns the value of Store, made once (the caller's: it counts
// before the peaks, not in them).
var value = func() func(n int) []byte {
	var v []byte
	return func(n int) []byte {
		if len(v) != n {
			v = bytes.Repeat([]byte("v"), n)
		}
		return v
	}
}()

// endless is a source of bytes that holds none of them.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

// peakHeap runs f and returns the most heap memory occupied by objects
// (live or not yet collected) while it ran, above what was occupied when
// it started after a collection.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	f()
	close(stop)
	<-done
	peak = max(peak, read())
	return peak - base
}
