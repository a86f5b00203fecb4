package faults_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
)

// A store whose loads of "data/" fail every third time, and whose stores
// fail at random, one in four, the same way on every run.
func Example() {
	ctx := context.Background()
	s := faults.New(memory.New("example-faults"),
		faults.Rule{Ops: []kv.Op{kv.OpLoad}, Prefix: "data/", Every: 3, Err: kv.ErrConnection},
		faults.Rule{Ops: []kv.Op{kv.OpStore}, Probability: 0.25, Seed: 7, Err: kv.ErrQuotaExceeded},
	)
	s.Create(ctx)
	s.Open(ctx)
	defer s.Destroy(ctx)
	defer s.Close(ctx)

	var full []bool
	for range 8 {
		err := s.Store(ctx, "data/0123", []byte("value"))
		full = append(full, errors.Is(err, kv.ErrQuotaExceeded))
	}
	fmt.Println("quota exceeded:", full)
	for range 4 {
		_, err := s.Load(ctx, "data/0123")
		fmt.Println(err)
	}
	fmt.Println("loads:", s.Calls(kv.OpLoad), "failed:", s.Injected(kv.OpLoad))
	// Output:
	// quota exceeded: [true false false false false true false true]
	// <nil>
	// <nil>
	// load "data/0123": connection failed: injected fault
	// <nil>
	// loads: 4 failed: 1
}
