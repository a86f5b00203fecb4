package sftp_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kvcompose/compose/drivers/sftp"
)

func ExampleFromURL() {
	for _, u := range []string{
		"sftp://backup@box.example.com/borg/repo",    // relative to the login directory
		"sftp://box.example.com:2222//srv/borg/repo", // absolute
	} {
		d, err := sftp.FromURL(u)
		fmt.Println(d, err)
	}
	_, err := sftp.FromURL("sftp://box.example.com")
	fmt.Println(err)
	// Output:
	// sftp://backup@box.example.com/borg/repo <nil>
	// sftp://box.example.com:2222//srv/borg/repo <nil>
	// parse url "sftp://box.example.com": invalid url: no path, want sftp://host/relative/path or sftp://host//absolute/path
}

// An alias of ~/.ssh/config gives host name, user, port and keys; the host
// key must be in ~/.ssh/known_hosts.
func Example() {
	ctx := context.Background()
	store, err := sftp.FromURL("sftp://mybox/borg/repo")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Open(ctx); err != nil {
		log.Fatal(err) // kv.ErrNoStore: Create it first
	}
	defer store.Close(ctx)
	if err := store.Store(ctx, "config/settings", []byte("answer=42")); err != nil {
		log.Fatal(err)
	}
}
