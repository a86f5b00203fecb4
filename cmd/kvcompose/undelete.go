package main

import (
	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newUndeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "undelete URL NAME",
		Short: "Bring back a soft-deleted item",
		Long: `Undelete brings back the soft-deleted version of NAME (see rm --soft),
replacing a live item of that name.`,
		Example: `  kvcompose undelete file:///srv/store data/0123abcd`,
		Args:    nargs(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				return s.Move(cmd.Context(), args[1], "", kv.Undelete())
			})
		},
	}
}
