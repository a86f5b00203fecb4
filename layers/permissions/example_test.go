package permissions_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/permissions"
)

func ExampleNew() {
	ctx := context.Background()
	perms, err := permissions.Parse(`{"": "lr", "data": "lrw"}`) // append-only data/
	if err != nil {
		panic(err)
	}
	store := memory.New("example-permissions")
	store.Create(ctx)
	store.Open(ctx)
	defer store.Destroy(ctx)
	defer store.Close(ctx)
	p := permissions.New(store, perms)

	fmt.Println("new item:", p.Store(ctx, "data/0123", []byte("v")))
	err = p.Store(ctx, "data/0123", []byte("w"))
	fmt.Println("overwrite denied:", errors.Is(err, kv.ErrPermission))
	fmt.Println(err)
	fmt.Println(p.Delete(ctx, "data/0123"))
	// Output:
	// new item: <nil>
	// overwrite denied: true
	// store "data/0123": permission denied: needs "W" to overwrite the existing item; the entry "data" grants "lrw"
	// delete "data/0123": permission denied: needs "D"; the entry "data" grants "lrw"
}

func ExampleShortcut() {
	perms, _ := permissions.Shortcut("borgbackup-write-only")
	fmt.Println(perms["packs"], perms["index"], perms[""])
	// Output: lw lrwWD l
}
