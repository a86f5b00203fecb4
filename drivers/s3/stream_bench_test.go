package s3

import (
	"testing"

	"github.com/kvcompose/compose/internal/benchtest"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv/kvtest"
)

// BenchmarkStreams stores and loads 64 MiB and 4 KiB streams on versitygw:
// B/op is the memory of a stream, bounded by partThreads × part size
// whatever the value's size (a value of one part is read whole, to go up
// with its checksums): 2 × 5 MiB here, 4 × 16 MiB with the defaults; a
// short stream costs about its size, even of unknown size.
//
//	go test -run '^$' -bench Streams -benchtime 3x ./drivers/s3/
func BenchmarkStreams(b *testing.B) {
	s := s3test.Shared(b)
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"parts5MiBx2", []Option{WithPartSize(MinPartSize, 2)}},
		{"default", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := kvtest.OpenStore(b, driverOf(b, s, tc.opts...))
			b.Run("64MiB", func(b *testing.B) { benchtest.Streams(b, d, 64<<20, nil) })
			b.Run("4KiB", func(b *testing.B) { benchtest.Streams(b, d, 4<<10, nil) })
		})
	}
}
