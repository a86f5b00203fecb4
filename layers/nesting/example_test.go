package nesting_test

import (
	"context"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/layers/nesting"
)

func ExampleNest() {
	name, _ := nesting.Nest("data/12345678", 2, "")
	fmt.Println(name)
	name, _ = nesting.Nest("data/12345678", 3, ".del")
	fmt.Println(name)
	// Output:
	// data/12/34/12345678
	// data/12/34/56/12345678.del
}

func ExampleNew() {
	ctx := context.Background()
	drv := memory.New("nesting-example")
	store, err := nesting.New(drv, map[string][]int{"config/": {0}, "data/": {2}},
		nesting.WithConcurrency(32),
		nesting.WithProgress(func(done, total int) { fmt.Printf("%d/%d directories\n", done, total) }))
	if err != nil {
		panic(err)
	}
	// The memory driver does not benefit from pre-created directories, so
	// Create reports no progress here.
	if err := store.Create(ctx); err != nil {
		panic(err)
	}
	if err := store.Open(ctx); err != nil {
		panic(err)
	}
	defer store.Destroy(ctx)
	defer store.Close(ctx)

	_ = store.Store(ctx, "data/0123abcd", []byte("hello"))
	for info := range drv.List(ctx, "data/01/23") {
		fmt.Println("driver: data/01/23/" + info.Name)
	}
	for info := range store.List(ctx, "data") {
		fmt.Println("layer:  data/" + info.Name)
	}
	// Output:
	// driver: data/01/23/0123abcd
	// layer:  data/0123abcd
}
