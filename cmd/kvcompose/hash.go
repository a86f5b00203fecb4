package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newHashCmd() *cobra.Command {
	var (
		algorithm string
		deleted   bool
	)
	cmd := &cobra.Command{
		Use:   "hash URL NAME",
		Short: "Print the hex digest of an item's value",
		Long: `Hash prints the hex digest of the value of NAME, computed by the store
where it can (remotely, without downloading the value). Algorithms: ` + strings.Join(kv.HashAlgorithms(), ", ") + `.`,
		Example: `  kvcompose hash file:///srv/store data/0123abcd
  kvcompose hash --algorithm blake3 file:///srv/store data/0123abcd`,
		Args: nargs(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if !slices.Contains(kv.HashAlgorithms(), algorithm) {
				return usageErrorf("hash: unknown --algorithm %q (known: %s)", algorithm, strings.Join(kv.HashAlgorithms(), ", "))
			}
			var opts []kv.Option
			if deleted {
				opts = append(opts, kv.Deleted())
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				sum, err := s.Hash(cmd.Context(), args[1], algorithm, opts...)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, sum)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&algorithm, "algorithm", kv.DefaultHash, "hash algorithm: "+strings.Join(kv.HashAlgorithms(), ", "))
	f.BoolVar(&deleted, "deleted", false, "hash the soft-deleted version")
	_ = cmd.RegisterFlagCompletionFunc("algorithm", cobra.FixedCompletions(kv.HashAlgorithms(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
