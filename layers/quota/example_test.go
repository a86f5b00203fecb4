package quota_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/quota"
)

func ExampleNew() {
	ctx := context.Background()
	q := quota.New(memory.New("example-quota"), 10) // 10 bytes
	q.Create(ctx)
	q.Open(ctx)
	defer q.Destroy(ctx)
	defer q.Close(ctx)

	fmt.Println(q.Store(ctx, "data/01", []byte("12345678")))
	err := q.Store(ctx, "data/02", []byte("1234"))
	fmt.Println(errors.Is(err, kv.ErrQuotaExceeded), err)
	fmt.Println(q.Store(ctx, "data/01", []byte("1234"))) // an overwrite counts its growth only
	fmt.Println(q.Store(ctx, "data/02", []byte("123456")))
	fmt.Println(q.Quota(ctx))
	// Output:
	// <nil>
	// true store "data/02": quota exceeded: 4 more bytes would take the usage from 8 past the limit of 10
	// <nil>
	// <nil>
	// {10 10} <nil>
}
