package main

import (
	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newMvCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "mv URL FROM TO",
		Short:   "Rename an item",
		Long:    `Mv renames FROM to TO, replacing an existing TO.`,
		Example: `  kvcompose mv file:///srv/store config/new-settings config/settings`,
		Args:    nargs(3, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				return s.Move(cmd.Context(), args[1], args[2])
			})
		},
	}
}
