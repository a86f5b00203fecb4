package kv_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
)

func ExampleValidateName() {
	fmt.Println(kv.ValidateName("data/0123abcd"))
	fmt.Println(kv.ValidateName("Data/x"))
	fmt.Println(kv.ValidateName("data/x.tmp"))
	// Output:
	// <nil>
	// invalid name: character 'D' at 0 is not allowed: names are lowercase
	// invalid name: ends in .tmp
}

// openExample returns an open, empty store in memory.
func openExample(ctx context.Context) kv.Backend {
	b := memory.New("kv-example")
	if err := b.Create(ctx); err != nil {
		panic(err)
	}
	if err := b.Open(ctx); err != nil {
		panic(err)
	}
	return b
}

func ExampleRange() {
	ctx := context.Background()
	b := openExample(ctx)
	defer b.Close(ctx)
	_ = b.Store(ctx, "data/digits", []byte("0123456789"))
	for _, r := range [][2]int64{{-3, -1}, {-4, 2}, {8, 100}} {
		part, _ := b.Load(ctx, "data/digits", kv.Range(r[0], r[1]))
		fmt.Printf("%s: %s\n", kv.Range(r[0], r[1]), part)
	}
	// Output:
	// range(-3,-1): 789
	// range(-4,2): 67
	// range(8,100): 89
}

func ExampleError() {
	ctx := context.Background()
	b := openExample(ctx)
	defer b.Close(ctx)
	_, err := b.Load(ctx, "data/ab")
	fmt.Println(err)
	fmt.Println(errors.Is(fmt.Errorf("restore: %w", err), kv.ErrNotFound))
	var e *kv.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op == kv.OpLoad, e.Name)
	}
	// Output:
	// load "data/ab": not found
	// true
	// true data/ab
}
