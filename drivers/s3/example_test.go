package s3_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kvcompose/compose/drivers/s3"
)

func ExampleFromURL() {
	for _, u := range []string{
		"s3:/my-bucket/borg/repo",                                    // AWS, credentials from the environment
		"s3:work@https://minio.example.com:9000/backups/repo",        // a profile of ~/.aws/credentials
		"b2:KEYID:APPKEY@https://s3.us-west-004.backblazeb2.com/b/r", // B2's S3 endpoint
	} {
		d, err := s3.FromURL(u)
		fmt.Println(d, d.Properties().Address, err)
	}
	_, err := s3.FromURL("s3:KEYID:SECRET@https://minio.example.com/bucket")
	fmt.Println(err)
	// Output:
	// s3:https://s3.amazonaws.com/my-bucket/borg/repo s3.amazonaws.com <nil>
	// s3:https://minio.example.com:9000/backups/repo minio.example.com <nil>
	// b2:https://s3.us-west-004.backblazeb2.com/b/r s3.us-west-004.backblazeb2.com <nil>
	// parse url "s3:KEYID:***@https://minio.example.com/bucket": invalid url: no path after the bucket (a store needs a prefix of its own), want (s3|b2):[PROFILE@ | ACCESS_KEY_ID:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH
}

// A store in a bucket of a MinIO server, with the credentials of the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
func Example() {
	ctx := context.Background()
	store, err := s3.FromURL("s3:https://minio.example.com/backups/repo")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Create(ctx); err != nil {
		log.Fatal(err) // kv.ErrExists if the prefix holds objects
	}
	if err := store.Open(ctx); err != nil {
		log.Fatal(err)
	}
	defer store.Close(ctx)
	if err := store.Store(ctx, "config/settings", []byte("answer=42")); err != nil {
		log.Fatal(err)
	}
}
