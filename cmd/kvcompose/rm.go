package main

import (
	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newRmCmd() *cobra.Command {
	var soft, deleted bool
	cmd := &cobra.Command{
		Use:   "rm URL NAME",
		Short: "Delete an item (or soft-delete it with --soft)",
		Long: `Rm deletes NAME for good. With --soft it soft-deletes it instead: the item
disappears from ls but can be brought back with undelete (an older
soft-deleted version of it is replaced). With --deleted it removes the
soft-deleted version for good.`,
		Example: `  kvcompose rm file:///srv/store data/0123abcd
  kvcompose rm --soft file:///srv/store data/0123abcd
  kvcompose rm --deleted file:///srv/store data/0123abcd`,
		Args: nargs(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if soft && deleted {
				return usageErrorf("rm: --soft and --deleted exclude each other")
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				switch {
				case soft:
					return s.Move(cmd.Context(), args[1], "", kv.SoftDelete())
				case deleted:
					return s.Delete(cmd.Context(), args[1], kv.Deleted())
				}
				return s.Delete(cmd.Context(), args[1])
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&soft, "soft", false, "soft-delete: undelete can bring the item back")
	f.BoolVar(&deleted, "deleted", false, "remove the soft-deleted version for good")
	return cmd
}
