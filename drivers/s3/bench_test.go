package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// The benchmarks run against the versitygw of internal/s3test on
// loopback:
//
//	go test -run '^$' -bench . -benchtime 2000x ./drivers/s3/
//
// BenchmarkPhases compares the driver with its floor, the same S3 requests
// made directly with minio-go in the same process; req/op counts the HTTP
// requests of each.

// benchItems is the number of items of the phases, in benchDirs
// directories of data/, as kvbench nests them at level 1.
const (
	benchItems = 256
	benchDirs  = 16
	benchSize  = 4 << 10
)

// requests counts the HTTP requests a client sends.
type requests struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (r *requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.n.Add(1)
	return r.next.RoundTrip(req)
}

// ops is one way of doing the phases' work on the object keys of items.
type ops struct {
	store   func(ctx context.Context, name string, value []byte) error
	load    func(ctx context.Context, name string) error
	partial func(ctx context.Context, name string) error
	list    func(ctx context.Context, dir string) (int, error)
	move    func(ctx context.Context, from, to string) error
	delete  func(ctx context.Context, name string) error
}

// driverOps opens a driver on a new store and returns its calls.
func driverOps(b *testing.B, s *s3test.Server, cnt *requests) ops {
	d, err := FromURL(s.URL(s.NewBucket(b), "store"), WithTransport(cnt), WithRegion("us-east-1"))
	if err != nil {
		b.Fatal(err)
	}
	kvtest.OpenStore(b, d)
	return ops{
		store: func(ctx context.Context, name string, v []byte) error { return d.Store(ctx, name, v) },
		load:  func(ctx context.Context, name string) error { _, err := d.Load(ctx, name); return err },
		partial: func(ctx context.Context, name string) error {
			_, err := d.Load(ctx, name, kv.Range(64, 128))
			return err
		},
		list: func(ctx context.Context, dir string) (int, error) {
			n := 0
			for _, err := range d.List(ctx, dir) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		},
		move:   func(ctx context.Context, from, to string) error { return d.Move(ctx, from, to) },
		delete: func(ctx context.Context, name string) error { return d.Delete(ctx, name) },
	}
}

// floorOps returns the same requests made with minio-go alone, on the
// objects "store/NAME" of a new bucket.
func floorOps(b *testing.B, s *s3test.Server, cnt *requests) ops {
	bucket := s.NewBucket(b)
	c, err := minio.New(s.Addr(), &minio.Options{
		Creds:     credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, ""),
		Transport: cnt, Region: "us-east-1", MaxRetries: DefaultRetries + 1,
	})
	if err != nil {
		b.Fatal(err)
	}
	core := minio.Core{Client: c}
	get := func(ctx context.Context, key string, o minio.GetObjectOptions) error {
		body, info, _, err := core.GetObject(ctx, bucket, key, o)
		if err != nil {
			return err
		}
		defer body.Close()
		_, err = io.ReadFull(body, make([]byte, info.Size))
		return err
	}
	noOwner := false
	return ops{
		store: func(ctx context.Context, name string, v []byte) error {
			sum := md5.Sum(v)
			_, err := core.PutObject(ctx, bucket, "store/"+name, bytes.NewReader(v), int64(len(v)),
				base64.StdEncoding.EncodeToString(sum[:]), "", minio.PutObjectOptions{DisableContentSha256: true})
			return err
		},
		load: func(ctx context.Context, name string) error { return get(ctx, "store/"+name, minio.GetObjectOptions{}) },
		partial: func(ctx context.Context, name string) error {
			var o minio.GetObjectOptions
			o.SetRange(64, 64+128-1)
			return get(ctx, "store/"+name, o)
		},
		list: func(ctx context.Context, dir string) (int, error) {
			var keys []string
			for obj := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Prefix: "store/" + dir + "/", FetchOwner: &noOwner}) {
				if obj.Err != nil {
					return 0, obj.Err
				}
				keys = append(keys, obj.Key)
			}
			slices.Sort(keys)
			return len(keys), nil
		},
		move: func(ctx context.Context, from, to string) error {
			_, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "store/" + to},
				minio.CopySrcOptions{Bucket: bucket, Object: "store/" + from})
			if err != nil {
				return err
			}
			return c.RemoveObject(ctx, bucket, "store/"+from, minio.RemoveObjectOptions{})
		},
		delete: func(ctx context.Context, name string) error {
			if _, err := c.StatObject(ctx, bucket, "store/"+name, minio.StatObjectOptions{}); err != nil {
				return err
			}
			return c.RemoveObject(ctx, bucket, "store/"+name, minio.RemoveObjectOptions{})
		},
	}
}

// benchNames returns the names of the phases' items: data/DIR/KEY.
func benchNames() []string {
	names := make([]string, benchItems)
	for i := range names {
		names[i] = fmt.Sprintf("data/%02x/%016x", i%benchDirs, uint64(i)*0x9e3779b97f4a7c15)
	}
	return names
}

// BenchmarkPhases times kvbench's phases of 4 KiB items, the driver and
// the floor side by side in each phase.
func BenchmarkPhases(b *testing.B) {
	s := s3test.Shared(b)
	ctx := context.Background()
	names := benchNames()
	value := bytes.Repeat([]byte("v"), benchSize)
	type way struct {
		name string
		ops  ops
		cnt  *requests
	}
	var ways []way
	for _, w := range []struct {
		name string
		make func(*testing.B, *s3test.Server, *requests) ops
	}{{"driver", driverOps}, {"floor", floorOps}} {
		cnt := &requests{next: newTransport(config{timeout: DefaultTimeout, concurrency: DefaultConcurrency})}
		o := w.make(b, s, cnt)
		for _, n := range names {
			if err := o.store(ctx, n, value); err != nil {
				b.Fatal(err)
			}
		}
		ways = append(ways, way{w.name, o, cnt})
	}
	phases := []struct {
		name string
		op   func(o ops, i int) error
	}{
		{"store", func(o ops, i int) error { return o.store(ctx, names[i%benchItems], value) }},
		{"load", func(o ops, i int) error { return o.load(ctx, names[i%benchItems]) }},
		{"partial-load", func(o ops, i int) error { return o.partial(ctx, names[i%benchItems]) }},
		{"list", func(o ops, i int) error {
			n, err := o.list(ctx, fmt.Sprintf("data/%02x", i%benchDirs))
			if err == nil && n != benchItems/benchDirs {
				err = fmt.Errorf("listed %d items, want %d", n, benchItems/benchDirs)
			}
			return err
		}},
		// Soft delete there and back: every op is one move of a live item.
		{"soft-delete", func(o ops, i int) error {
			n := names[i%benchItems]
			if i/benchItems%2 == 0 {
				return o.move(ctx, n, n+kv.DeletedSuffix)
			}
			return o.move(ctx, n+kv.DeletedSuffix, n)
		}},
	}
	// Each iteration makes one op of each way, in alternating order, so
	// that both see the same load of the machine; the metrics are the time
	// and requests per op of each way, and their ratio.
	run := func(b *testing.B, op func(o ops, i int) error, untimed func(o ops, i int) error) []int {
		var dur [2]time.Duration
		var reqs [2]int64
		idx := make([]int, len(ways))
		for round := 0; b.Loop(); round++ {
			for j := range ways {
				k := (j + round) % len(ways)
				w := ways[k]
				if untimed != nil {
					if err := untimed(w.ops, idx[k]); err != nil {
						b.Fatal(err)
					}
				}
				before := w.cnt.n.Load()
				t0 := time.Now()
				if err := op(w.ops, idx[k]); err != nil {
					b.Fatal(err)
				}
				dur[k] += time.Since(t0)
				reqs[k] += w.cnt.n.Load() - before
				idx[k]++
			}
		}
		for k, w := range ways {
			b.ReportMetric(float64(dur[k].Microseconds())/float64(b.N), w.name+"-µs/op")
			b.ReportMetric(float64(reqs[k])/float64(b.N), w.name+"-req/op")
		}
		b.ReportMetric(float64(dur[0])/float64(dur[1]), "driver/floor")
		return idx
	}
	for _, p := range phases {
		b.Run(p.name, func(b *testing.B) {
			idx := run(b, p.op, nil)
			// Soft delete moves the items back and forth; finish the
			// cycle so that every item is live again.
			for k, w := range ways {
				for i := idx[k]; p.name == "soft-delete" && i%(2*benchItems) != 0; i++ {
					if err := p.op(w.ops, i); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("delete", func(b *testing.B) {
		gone := func(i int) string { return names[i%benchItems] + kv.DeletedSuffix }
		run(b, func(o ops, i int) error { return o.delete(ctx, gone(i)) },
			func(o ops, i int) error { return o.store(ctx, gone(i), value) })
	})
}

// BenchmarkConcurrent measures 4 KiB stores and loads per second from 1
// and from 16 goroutines sharing one driver.
func BenchmarkConcurrent(b *testing.B) {
	s := s3test.Shared(b)
	d := kvtest.OpenStore(b, driverOf(b, s))
	ctx := context.Background()
	value := bytes.Repeat([]byte("v"), benchSize)
	names := benchNames()
	for _, n := range names {
		if err := d.Store(ctx, n, value); err != nil {
			b.Fatal(err)
		}
	}
	for _, op := range []struct {
		name string
		f    func(name string) error
	}{
		{"store", func(n string) error { return d.Store(ctx, n, value) }},
		{"load", func(n string) error { _, err := d.Load(ctx, n); return err }},
	} {
		for _, g := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", op.name, g), func(b *testing.B) {
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range g {
					wg.Go(func() {
						for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
							if err := op.f(names[i%benchItems]); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}

// BenchmarkLarge measures the throughput of 64 MiB values: stored in
// parts of DefaultPartSize (the default) or with one PUT (a part size
// above the value), loaded with one GET.
func BenchmarkLarge(b *testing.B) {
	s := s3test.Shared(b)
	ctx := context.Background()
	value := bytes.Repeat([]byte("0123456789abcdef"), 64<<20/16)
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"parts", nil},
		{"single-put", []Option{WithPartSize(128<<20, 1)}},
	} {
		d := kvtest.OpenStore(b, driverOf(b, s, tc.opts...))
		b.Run("store/"+tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if err := d.Store(ctx, "data/large", value); err != nil {
					b.Fatal(err)
				}
			}
		})
		if tc.opts != nil {
			continue
		}
		b.Run("load", func(b *testing.B) {
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if _, err := d.Load(ctx, "data/large"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// driverOf returns a closed driver on a new store of s.
func driverOf(b *testing.B, s *s3test.Server, opts ...Option) *Driver {
	d, err := FromURL(s.URL(s.NewBucket(b), "store"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
