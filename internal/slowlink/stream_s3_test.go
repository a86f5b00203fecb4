package slowlink_test

import (
	"testing"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/benchtest"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/internal/slowlink"
)

// BenchmarkLinkStreamS3 stores and loads 64 MiB streams on versitygw
// through the slow link (20 ms RTT, 100 Mbit/s): MB/s, link-% (the share
// of the link's rate) and B/op (the memory of a stream), with the default
// parts (4 × 16 MiB) and with 4 parts of 5 MiB at once.
//
//	go test -run '^$' -bench LinkStreamS3 -benchtime 2x ./internal/slowlink/
func BenchmarkLinkStreamS3(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []s3.Option
	}{
		{"default", nil},
		{"parts5MiBx4", []s3.Option{s3.WithPartSize(s3.MinPartSize, 4)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := s3test.Shared(b)
			p := slowlink.Start(b, s.Addr(), link)
			d, err := s3.FromURL(s.URLVia(p.Addr(), s.NewBucket(b), "store"), tc.opts...)
			must(b, err)
			const size = 64 << 20
			benchtest.Streams(b, open(b, d), size, func(b *testing.B) {
				mbs := float64(size) * float64(b.N) / b.Elapsed().Seconds() / 1e6
				b.ReportMetric(100*mbs/(float64(link.Rate)/1e6), "link-%")
			})
		})
	}
}
