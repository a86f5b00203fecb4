// Command memonly opens a store in process memory through compose.Open,
// stores and reads back an item and lists the namespace. It imports no
// driver package: mem:// and file:// need none, and the binary links no
// network driver (no minio-go, pkg/sftp or x/crypto/ssh).
//
//	go run ./examples/memonly
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/kvcompose/compose"
)

func main() {
	ctx := context.Background()
	store, err := compose.Open("mem://memonly")
	check(err)
	check(store.Create(ctx))
	check(store.Open(ctx))
	defer store.Close(ctx)

	check(store.Store(ctx, "config/greeting", []byte("hello from memory")))
	v, err := store.Load(ctx, "config/greeting")
	check(err)
	fmt.Printf("config/greeting = %q\n", v)
	for it, err := range store.List(ctx, "config") {
		check(err)
		fmt.Printf("  %s (%d bytes)\n", it.Name, it.Size)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
