package all_test

import (
	"fmt"

	"github.com/kvcompose/compose"
	_ "github.com/kvcompose/compose/drivers/all"
)

// A program that imports drivers/all takes every URL form of the module.
func Example() {
	fmt.Println(compose.Schemes())
	// Output: [b2 file http https mem rclone rest s3 sftp]
}
