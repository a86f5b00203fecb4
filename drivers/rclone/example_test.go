package rclone_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kvcompose/compose/drivers/rclone"
	"github.com/kvcompose/compose/kv"
)

// FromURL takes everything after "rclone:" as rclone's remote:path and does
// no I/O.
func ExampleFromURL() {
	for _, u := range []string{"rclone::local:/srv/store", "rclone:mys3:bucket/store", "rclone:"} {
		d, err := rclone.FromURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(d.Properties().Scheme, d.Remote())
	}
	// Output:
	// rclone :local:/srv/store
	// rclone mys3:bucket/store
	// parse url "rclone:": invalid url: no remote after rclone:; want rclone:remote:path, e.g. rclone::local:/tmp/x or rclone:mys3:bucket/path
}

// A store on a local directory through rclone: Open starts rclone rcd,
// Close stops it. (Not run by go test: it needs the rclone binary.)
func ExampleNew() {
	dir, err := os.MkdirTemp("", "rclone-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	d := rclone.New(":local:" + filepath.Join(dir, "store"))
	if err := d.Create(ctx); err != nil {
		log.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		log.Fatal(err)
	}
	defer d.Close(ctx)
	if err := d.Store(ctx, "config/greeting", []byte("hello, rclone")); err != nil {
		log.Fatal(err)
	}
	part, err := d.Load(ctx, "config/greeting", kv.Range(-6, -1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", part) // rclone
}
