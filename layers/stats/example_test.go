package stats_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/layers/stats"
)

func ExampleLayer_Snapshot() {
	ctx := context.Background()
	// A clock that moves 250 µs per reading makes every call take 250 µs,
	// so that the output is the same on every run; leave WithClock out to
	// measure real time.
	c := &clock{tick: 250 * time.Microsecond}
	st := stats.New(memory.New("example-stats"), stats.WithClock(c.now))
	st.Create(ctx)
	st.Open(ctx)
	defer st.Destroy(ctx)
	defer st.Close(ctx)

	st.Store(ctx, "data/0123", make([]byte, 4096))
	st.Store(ctx, "data/4567", make([]byte, 1024))
	st.Load(ctx, "data/0123")
	st.Load(ctx, "data/89ab")      // not found: a call and an expected error
	st.Store(ctx, "data/Bad", nil) // invalid name: a call and a failure
	st.Info(ctx, "data/4567")

	s := st.Snapshot()
	load := s.Ops["load"]
	fmt.Println("load calls:", load.Calls, "errors:", load.Errors, "expected:", load.Expected)
	fmt.Println(s)
	// Output:
	// load calls: 2 errors: 0 expected: 1
	// op      calls  errors  expected   time   mean    bytes  throughput
	// info        1       0         0  250µs  250µs        -           -
	// load        2       0         1  500µs  250µs  4.0 KiB   7.8 MiB/s
	// store       3       1         0  750µs  250µs  5.0 KiB   6.5 MiB/s
	// create      1       0         0  250µs  250µs        -           -
	// open        1       0         0  250µs  250µs        -           -
}
