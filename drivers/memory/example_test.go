package memory_test

import (
	"context"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
)

func Example() {
	ctx := context.Background()
	d := memory.New("example")
	if err := d.Create(ctx); err != nil {
		panic(err)
	}
	if err := d.Open(ctx); err != nil {
		panic(err)
	}
	defer d.Close(ctx)

	_ = d.Store(ctx, "config/settings", []byte("answer=42"))
	v, _ := d.Load(ctx, "config/settings")
	fmt.Println(string(v))
	for item, err := range d.List(ctx, "") {
		if err != nil {
			panic(err)
		}
		fmt.Println(item.Name, item.Directory)
	}
	// Output:
	// answer=42
	// config true
}

func ExampleFromURL() {
	d, err := memory.FromURL("mem://example")
	fmt.Println(d, err)
	_, err = memory.FromURL("mem://example/path")
	fmt.Println(err)
	// Output:
	// mem://example <nil>
	// parse url "mem://example/path": invalid url: a mem URL has no path, got "/path"
}
