// Command fileonly keeps a store in a local directory through compose.Open,
// with every write made durable (WithSync), then destroys it. It imports no
// driver package: file:// and mem:// need none, and the binary links no
// network driver (no minio-go, pkg/sftp or x/crypto/ssh).
//
//	go run ./examples/fileonly            # in a new temporary directory
//	go run ./examples/fileonly /tmp/store # in /tmp/store (which must not exist)
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kvcompose/compose"
)

func main() {
	dir := ""
	if len(os.Args) > 1 {
		dir = os.Args[1]
	} else {
		tmp, err := os.MkdirTemp("", "kvcompose-fileonly-")
		check(err)
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "store")
	}
	abs, err := filepath.Abs(dir)
	check(err)
	url := "file://" + filepath.ToSlash(abs)

	ctx := context.Background()
	store, err := compose.Open(url, compose.WithSync(true))
	check(err)
	check(store.Create(ctx))
	check(store.Open(ctx))
	check(store.Store(ctx, "config/greeting", []byte("hello from "+url)))
	v, err := store.Load(ctx, "config/greeting")
	check(err)
	fmt.Printf("config/greeting = %q\n", v)
	check(store.Close(ctx))
	check(store.Destroy(ctx))
	fmt.Println("destroyed", url)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
