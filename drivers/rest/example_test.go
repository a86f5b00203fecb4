package rest_test

import (
	"context"
	"fmt"
	"net"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/restserver"
)

// A client of a REST server: here one in the same process, serving an
// in-memory store.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	done := make(chan error)
	go func() { done <- restserver.Serve(ctx, ln, restserver.New(memory.New("example")), "", "") }()
	defer func() { stop(); <-done }()

	store, err := rest.FromURL("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Create(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Open(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	store.Store(ctx, "config/settings", []byte("level=1"))
	value, _ := store.Load(ctx, "config/settings")
	info, _ := store.Info(ctx, "config/settings")
	fmt.Printf("%s (%d bytes)\n", value, info.Size)
	// Output: level=1 (7 bytes)
}
