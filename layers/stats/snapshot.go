package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvcompose/compose/kv"
)

// OpStats are the counters of one operation.
type OpStats struct {
	// Calls is the number of calls that returned (those that ended in an
	// error included).
	Calls int64
	// Errors is the number of calls that failed: that ended in an error
	// other than an expected one.
	Errors int64
	// Expected is the number of calls that ended in an error the caller
	// expects in the normal course of things: kv.ErrNotFound (a Load of a
	// missing item), context.Canceled, context.DeadlineExceeded. They are
	// not in Errors.
	Expected int64
	// Time is the total time spent below the layer, summed over the
	// calls: 8 calls in parallel for a second count 8 seconds.
	Time time.Duration
	// Wall is the wall-clock time during which at least one call was in
	// progress: 8 calls in parallel for a second count 1 second. List is
	// not tracked (0).
	Wall time.Duration
	// Bytes is the number of bytes moved by the calls that succeeded:
	// returned by load, given to store, read by defrag; for a LoadStream
	// or a StoreStream, the bytes that flowed, also when the stream was
	// closed early or failed.
	Bytes int64
}

// Throughput returns Bytes per second of Wall, the rate the callers saw
// however many calls ran at once (per second of Time when Wall is 0), and
// 0 when no time was spent.
func (o OpStats) Throughput() float64 {
	d := o.Wall
	if d <= 0 {
		d = o.Time
	}
	if d <= 0 {
		return 0
	}
	return float64(o.Bytes) / d.Seconds()
}

// Mean returns the mean time of a call, 0 when there was none.
func (o OpStats) Mean() time.Duration {
	if o.Calls == 0 {
		return 0
	}
	return o.Time / time.Duration(o.Calls)
}

// Snapshot is a copy of the counters of a Layer at one moment. It is a
// plain value: compare it, subtract it, print it.
type Snapshot struct {
	// Ops maps every operation name of OpNames to its counters; every
	// operation is present, with zeros when it was never called.
	Ops map[string]OpStats
}

// Sub returns the counters of s less those of an earlier snapshot prev, the
// activity between the two.
func (s Snapshot) Sub(prev Snapshot) Snapshot {
	d := Snapshot{Ops: make(map[string]OpStats, len(s.Ops))}
	for name, o := range s.Ops {
		p := prev.Ops[name]
		d.Ops[name] = OpStats{
			Calls:    o.Calls - p.Calls,
			Errors:   o.Errors - p.Errors,
			Expected: o.Expected - p.Expected,
			Time:     o.Time - p.Time,
			Wall:     o.Wall - p.Wall,
			Bytes:    o.Bytes - p.Bytes,
		}
	}
	return d
}

// Total returns the sum of the counters of every operation.
func (s Snapshot) Total() OpStats {
	var t OpStats
	for _, o := range s.Ops {
		t.Calls += o.Calls
		t.Errors += o.Errors
		t.Expected += o.Expected
		t.Time += o.Time
		t.Wall += o.Wall
		t.Bytes += o.Bytes
	}
	return t
}

// String formats the snapshot as an aligned table with one row per
// operation that was called (operations never called are left out, so the
// table stays short): calls, errors (failures), expected errors, total
// time, mean time per call, bytes and throughput (bytes per second of wall
// time, see OpStats.Throughput). A snapshot without any call gives "no
// calls".
func (s Snapshot) String() string {
	rows := [][]string{{"op", "calls", "errors", "expected", "time", "mean", "bytes", "throughput"}}
	for op := range kv.NumOps {
		name := op.String()
		o := s.Ops[name]
		if o.Calls == 0 {
			continue
		}
		bytes, rate := "-", "-"
		if o.Bytes != 0 {
			bytes = formatBytes(float64(o.Bytes))
			if o.Time > 0 {
				rate = formatBytes(o.Throughput()) + "/s"
			}
		}
		rows = append(rows, []string{
			name,
			strconv.FormatInt(o.Calls, 10),
			strconv.FormatInt(o.Errors, 10),
			strconv.FormatInt(o.Expected, 10),
			formatDuration(o.Time),
			formatDuration(o.Mean()),
			bytes,
			rate,
		})
	}
	if len(rows) == 1 {
		return "no calls"
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	for n, r := range rows {
		if n > 0 {
			b.WriteByte('\n')
		}
		for i, cell := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i == 0 {
				b.WriteString(cell + pad) // names left-aligned
				continue
			}
			b.WriteString("  " + pad + cell) // numbers right-aligned
		}
	}
	return b.String()
}

// formatBytes gives n in B, KiB, MiB, GiB or TiB.
func formatBytes(n float64) string {
	const units = "KMGT"
	if n < 1024 {
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
	i := -1
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i:i+1] + "iB"
}

// formatDuration rounds d to three or four significant digits.
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(time.Microsecond)
	case d >= time.Microsecond:
		d = d.Round(time.Microsecond / 10)
	}
	return fmt.Sprint(d)
}
