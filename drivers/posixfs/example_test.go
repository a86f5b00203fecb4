package posixfs_test

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
)

func Example() {
	dir, err := os.MkdirTemp("", "posixfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	u := url.URL{Scheme: "file", Path: filepath.Join(dir, "store")}

	ctx := context.Background()
	d, err := posixfs.FromURL(u.String())
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Create(ctx); err != nil {
		log.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		log.Fatal(err)
	}
	if err := d.Store(ctx, "config/settings", []byte("hello, world")); err != nil {
		log.Fatal(err)
	}
	part, err := d.Load(ctx, "config/settings", kv.Range(-5, -1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", part)
	for item, err := range d.List(ctx, "config") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item.Name, item.Size)
	}
	if err := d.Close(ctx); err != nil {
		log.Fatal(err)
	}
	if err := d.Destroy(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// world
	// settings 12
}
