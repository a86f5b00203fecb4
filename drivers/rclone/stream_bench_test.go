package rclone

import (
	"testing"

	"github.com/kvcompose/compose/internal/benchtest"
)

// BenchmarkStreams stores and loads 64 MiB streams through rcd on a local
// remote: B/op is the memory of a stream in the driver, which buffers
// nothing of the value.
//
//	go test -run '^$' -bench Streams -benchtime 3x ./drivers/rclone/
func BenchmarkStreams(b *testing.B) {
	benchtest.Streams(b, openLocal(b), 64<<20, nil)
}
