// Command stack builds a kvcompose stack by hand, without compose.Open:
// tracing over stats over softdelete over nesting over the memory driver,
// then stores, soft-deletes and lists a few items and prints the stats.
//
//	go run ./examples/stack
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/tracing"
)

func main() {
	ctx := context.Background()
	drv := memory.New("stack")
	nested, err := nesting.New(drv, map[string][]int{"config/": {0}, "data/": {1}})
	if err != nil {
		log.Fatal(err)
	}
	st := stats.New(softdelete.New(nested))
	var store kv.Backend = tracing.New(st)

	check(store.Create(ctx))
	check(store.Open(ctx))
	defer store.Close(ctx)

	check(store.Store(ctx, "config/main", []byte("version = 2")))
	for _, key := range []string{"00aa11bb", "22cc33dd", "44ee55ff"} {
		check(store.Store(ctx, "data/"+key, []byte("value of "+key)))
	}
	check(store.Move(ctx, "data/22cc33dd", "", kv.SoftDelete()))
	part, err := store.Load(ctx, "data/44ee55ff", kv.Range(-8, 4))
	check(err)
	fmt.Printf("bytes -8..-4 of data/44ee55ff: %q\n", part)

	for _, view := range []struct {
		title string
		opts  []kv.Option
	}{{"live", nil}, {"deleted", []kv.Option{kv.Deleted()}}} {
		fmt.Printf("%s items in data/:\n", view.title)
		for it, err := range store.List(ctx, "data", view.opts...) {
			check(err)
			fmt.Printf("  %s (%d bytes)\n", it.Name, it.Size)
		}
	}
	// The driver sees the nested names.
	fmt.Println("driver-level names in data/00:")
	for it, err := range drv.List(ctx, "data/00") {
		check(err)
		fmt.Println(" ", it.Name)
	}
	fmt.Println()
	fmt.Println(st.Snapshot())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
