//go:build unix

package benchtest

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU reports, when the benchmark that called it ends, the CPU time the
// process used per iteration as "cpu-ns/op": on a machine shared with
// other work, a cost that waiting for a core does not inflate as it does
// ns/op.
func CPU(b *testing.B) {
	start := cpuTime()
	b.Cleanup(func() {
		if b.N > 0 && start > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	})
}
