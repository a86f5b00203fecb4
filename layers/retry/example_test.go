package retry_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/retry"
)

// A store over a link that drops one call in three: the retry layer makes
// every call succeed, at the price of more backend calls.
func Example() {
	ctx := context.Background()
	link := faults.New(memory.New("example-retry"), faults.Rule{Ops: []kv.Op{kv.OpStore}, Every: 3, Err: kv.ErrConnection})
	s := retry.New(link, retry.Config{MaxTries: 3, InitialBackoff: time.Millisecond})
	s.Create(ctx)
	s.Open(ctx)
	defer s.Destroy(ctx)
	defer s.Close(ctx)

	for i := range 10 {
		if err := s.Store(ctx, fmt.Sprintf("data/%02d", i), []byte("value")); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("stores:", link.Calls(kv.OpStore), "backend calls,", link.Injected(kv.OpStore), "failed")
	// Output:
	// stores: 14 backend calls, 4 failed
}
