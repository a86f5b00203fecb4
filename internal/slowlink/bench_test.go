package slowlink_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/internal/slowlink"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/restserver"
)

// link is the link of the benchmarks: 20 ms round trip, 100 Mbit/s each
// way.
var link = slowlink.Link{RTT: 20 * time.Millisecond, Rate: slowlink.Mbit(100)}

// counter counts the HTTP requests a driver sends.
type counter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func newCounter() *counter {
	return &counter{next: http.DefaultTransport.(*http.Transport).Clone()}
}

// remote is a network driver over the slow link, with its request counter
// where the driver takes a transport.
type remote struct {
	name string
	open func(b *testing.B, cnt *counter) kv.Backend
}

var remotes = []remote{
	{"s3", func(b *testing.B, cnt *counter) kv.Backend {
		s := s3test.Shared(b)
		p := slowlink.Start(b, s.Addr(), link)
		d, err := s3.FromURL(s.URLVia(p.Addr(), s.NewBucket(b), "store"), s3.WithTransport(cnt))
		must(b, err)
		return d
	}},
	{"rest", func(b *testing.B, _ *counter) kv.Backend {
		drv, err := posixfs.New(filepath.Join(b.TempDir(), "store"))
		must(b, err)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(b, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- restserver.Serve(ctx, ln, restserver.New(drv), "", "") }()
		b.Cleanup(func() { cancel(); <-done })
		p := slowlink.Start(b, ln.Addr().String(), link)
		d, err := rest.FromURL("http://" + p.Addr() + "/")
		must(b, err)
		return d
	}},
	{"sftp", func(b *testing.B, _ *counter) kv.Backend {
		s := sshdtest.Start(b)
		p := slowlink.Start(b, s.Addr(), link)
		dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, p.Addr())
		}
		d, err := sftp.FromURL("sftp://kvtest/"+filepath.Join(b.TempDir(), "store"),
			sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(s.KnownHosts), sftp.WithDialer(dial))
		must(b, err)
		return d
	}},
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// open creates and opens d, and closes and destroys it at the end.
func open(b *testing.B, d kv.Backend) kv.Backend {
	ctx := context.Background()
	must(b, d.Create(ctx))
	must(b, d.Open(ctx))
	b.Cleanup(func() {
		d.Close(ctx)
		d.Destroy(ctx)
	})
	return d
}

// BenchmarkLink measures each network driver against its real server
// through a slow link (20 ms RTT, 100 Mbit/s): one 4 KiB call at a time
// (ms/op, and rtt/op: the time in round trips, the floor being the
// requests the call needs), and one 64 MiB Store and Load (MB/s, and
// link-%: the share of the link's rate), and the Hash of an 8 MiB value
// (which S3 answers from its checksum). Run the small calls with
// -benchtime=20x and the large ones with -benchtime=2x:
//
//	go test -run '^$' -bench 'Link/.*/4KiB' -benchtime 20x ./internal/slowlink/
//	go test -run '^$' -bench 'Link/.*/(64|8)MiB' -benchtime 2x ./internal/slowlink/
func BenchmarkLink(b *testing.B) {
	for _, r := range remotes {
		b.Run(r.name, func(b *testing.B) {
			cnt := newCounter()
			d := open(b, r.open(b, cnt))
			ctx := context.Background()
			small := bytes.Repeat([]byte("v"), 4096)
			name := func(i int) string { return fmt.Sprintf("data/%08x", i) }
			report := func(b *testing.B, start int64) {
				per := float64(b.Elapsed()) / float64(b.N)
				b.ReportMetric(per/1e6, "ms/op")
				b.ReportMetric(per/float64(link.RTT), "rtt/op")
				if n := cnt.n.Load() - start; n > 0 {
					b.ReportMetric(float64(n)/float64(b.N), "req/op")
				}
			}
			stored := 0
			call := func(op string, f func(i int) error) {
				b.Run("4KiB/"+op, func(b *testing.B) {
					if op != "Store" {
						for ; stored < b.N; stored++ {
							must(b, d.Store(ctx, name(stored), small))
						}
					}
					start := cnt.n.Load()
					b.ResetTimer()
					for i := range b.N {
						must(b, f(i))
					}
					b.StopTimer()
					report(b, start)
				})
			}
			call("Store", func(i int) error { return d.Store(ctx, name(i), small) })
			call("Load", func(i int) error { _, err := d.Load(ctx, name(i)); return err })
			call("Info", func(i int) error { _, err := d.Info(ctx, name(i)); return err })
			call("Hash", func(i int) error { _, err := d.Hash(ctx, name(i), ""); return err })
			call("Delete", func(i int) error {
				stored = 0 // gone; the next call stores them again
				return d.Delete(ctx, name(i))
			})
			b.Run("8MiB/Hash", func(b *testing.B) {
				must(b, d.Store(ctx, "data/medium", bytes.Repeat([]byte("M"), 8<<20)))
				start := cnt.n.Load()
				b.ResetTimer()
				for range b.N {
					_, err := d.Hash(ctx, "data/medium", "")
					must(b, err)
				}
				b.StopTimer()
				report(b, start)
			})
			large := bytes.Repeat([]byte("L"), 64<<20)
			for _, op := range []string{"Store", "Load"} {
				b.Run("64MiB/"+op, func(b *testing.B) {
					if op == "Load" {
						must(b, d.Store(ctx, "data/large", large))
					}
					b.SetBytes(int64(len(large)))
					b.ResetTimer()
					for range b.N {
						if op == "Store" {
							must(b, d.Store(ctx, "data/large", large))
						} else {
							v, err := d.Load(ctx, "data/large")
							must(b, err)
							if len(v) != len(large) {
								b.Fatalf("loaded %d bytes", len(v))
							}
						}
					}
					b.StopTimer()
					mbs := float64(len(large)) * float64(b.N) / b.Elapsed().Seconds() / 1e6
					b.ReportMetric(100*mbs/(float64(link.Rate)/1e6), "link-%")
				})
			}
		})
	}
}

// BenchmarkLinkNestedList lists a namespace at nesting level 2 on versitygw
// (stored beforehand straight to the server), on loopback and through the
// slow link: seconds and requests per listing. Run it with -benchtime=1x:
//
//	go test -run '^$' -bench LinkNestedList -benchtime 1x ./internal/slowlink/
func BenchmarkLinkNestedList(b *testing.B) {
	for _, tc := range []struct {
		items int
		slow  bool
	}{{2000, false}, {10000, false}, {2000, true}, {10000, true}} {
		b.Run(fmt.Sprintf("items=%d/slow=%v", tc.items, tc.slow), func(b *testing.B) {
			s := s3test.Shared(b)
			bucket := s.NewBucket(b)
			ctx := context.Background()
			levels := map[string][]int{"data/": {2}}
			fill, err := s3.FromURL(s.URL(bucket, "store"))
			must(b, err)
			setup, err := nesting.New(fill, levels)
			must(b, err)
			must(b, setup.Create(ctx))
			must(b, setup.Open(ctx))
			var wg sync.WaitGroup
			work := make(chan int)
			for range 32 {
				wg.Go(func() {
					for i := range work {
						key := fmt.Sprintf("%08x%056x", uint32(i)*2654435761, i)
						must(b, setup.Store(ctx, "data/"+key, []byte("v")))
					}
				})
			}
			for i := range tc.items {
				work <- i
			}
			close(work)
			wg.Wait()
			must(b, setup.Close(ctx))
			addr := s.Addr()
			if tc.slow {
				addr = slowlink.Start(b, addr, link).Addr()
			}
			cnt := newCounter()
			drv, err := s3.FromURL(s.URLVia(addr, bucket, "store"), s3.WithTransport(cnt))
			must(b, err)
			l, err := nesting.New(drv, levels)
			must(b, err)
			must(b, l.Open(ctx))
			defer l.Close(ctx)
			for b.Loop() {
				start, reqs := time.Now(), cnt.n.Load()
				n := 0
				for _, err := range l.List(ctx, "data") {
					must(b, err)
					n++
				}
				if n != tc.items {
					b.Fatalf("listed %d items, want %d", n, tc.items)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/list")
				b.ReportMetric(float64(cnt.n.Load()-reqs), "req/list")
			}
		})
	}
}
