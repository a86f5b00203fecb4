package compose_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
)

// BenchmarkDestroyLevel2 destroys a posixfs store with "data/": [2] made by
// Create (65,536 pre-created directories): "local" as Open stacks it (the
// nesting layer leaves a local store to the driver, one os.RemoveAll), and
// "tree" with the nesting layer emptying the directory tree concurrently,
// as it does for a remote driver. s/check is the part of Destroy that
// checks that the directory is a store (backendkit.Recognize, timed as the
// driver's Open and Close). Run it with -benchtime=1x.
func BenchmarkDestroyLevel2(b *testing.B) {
	for _, way := range []string{"local", "tree"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var opts []compose.Option
				if way == "tree" {
					opts = append(opts, compose.WithLayer(compose.AboveDriver, func(next kv.Backend) kv.Backend { return remote{next} }))
				}
				s, err := compose.Open("file://"+filepath.Join(b.TempDir(), "store"),
					append(opts, compose.WithLevels(map[string][]int{"data/": {2}}), compose.WithoutRetry())...)
				kvMust(b, err)
				kvMust(b, s.Create(b.Context()))
				drv, _ := kv.As[*posixfs.Driver](s)
				start := time.Now()
				kvMust(b, drv.Open(b.Context()))
				kvMust(b, drv.Close(b.Context()))
				check := time.Since(start)
				b.StartTimer()
				start = time.Now()
				kvMust(b, s.Destroy(b.Context()))
				b.ReportMetric(time.Since(start).Seconds(), "s/destroy")
				b.ReportMetric(check.Seconds(), "s/check")
			}
		})
	}
}

// remote makes the driver below look remote.
type remote struct{ kv.Backend }

func (r remote) Unwrap() kv.Backend { return r.Backend }

func (r remote) Properties() kv.Properties {
	p := kv.PropertiesOf(r.Backend)
	p.Remote = true
	return p
}
