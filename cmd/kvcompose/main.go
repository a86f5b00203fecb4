// Command kvcompose works with kvcompose stores from the command line;
// `kvcompose serve` serves one over borgstore's REST protocol.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

// newRootCmd returns the kvcompose command with its subcommands.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "kvcompose",
		Short:         "Work with kvcompose key/value stores",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newServeCmd())
	return root
}
