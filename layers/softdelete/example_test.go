package softdelete_test

import (
	"context"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/softdelete"
)

func Example() {
	ctx := context.Background()
	store := softdelete.New(memory.New("softdelete-example"))
	if err := store.Create(ctx); err != nil {
		panic(err)
	}
	if err := store.Open(ctx); err != nil {
		panic(err)
	}
	defer store.Destroy(ctx)
	defer store.Close(ctx)

	_ = store.Store(ctx, "data/0123", []byte("precious"))
	_ = store.Move(ctx, "data/0123", "", kv.SoftDelete())
	show := func(view string, opts ...kv.Option) {
		fmt.Print(view, ":")
		for info := range store.List(ctx, "data", opts...) {
			fmt.Print(" ", info.Name)
		}
		fmt.Println()
	}
	show("live")
	show("deleted", kv.Deleted())

	_ = store.Move(ctx, "data/0123", "", kv.Undelete())
	value, err := store.Load(ctx, "data/0123")
	fmt.Printf("undeleted: %s %v\n", value, err)
	// Output:
	// live:
	// deleted: 0123
	// undeleted: precious <nil>
}
