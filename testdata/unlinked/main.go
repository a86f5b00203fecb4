// Command unlinked imports compose and no driver package, opens each URL
// of its arguments and prints, one line each, "ok" or the error of
// compose.Open. TestOpenNamesMissingImport runs it.
package main

import (
	"fmt"
	"os"

	"github.com/kvcompose/compose"
)

func main() {
	for _, u := range os.Args[1:] {
		if _, err := compose.Open(u); err != nil {
			fmt.Println(err)
		} else {
			fmt.Println("ok")
		}
	}
}
