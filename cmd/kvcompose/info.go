package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newInfoCmd() *cobra.Command {
	var deleted, asJSON bool
	cmd := &cobra.Command{
		Use:   "info URL NAME",
		Short: "Show whether an item exists, its size, kind and last access time",
		Long: `Info shows whether NAME exists, its size in bytes, whether it is a
directory, and its last access time where the store knows it. A missing
item is not an error: info says "exists: false" and exits 0.`,
		Example: `  kvcompose info file:///srv/store config/settings
  kvcompose info --json --levels data/=2 file:///srv/store data/0123abcd`,
		Args: nargs(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			var opts []kv.Option
			if deleted {
				opts = append(opts, kv.Deleted())
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				it, err := s.Info(cmd.Context(), args[1], opts...)
				if err != nil {
					return err
				}
				it.Name = args[1]
				if asJSON {
					e := toEntry(it)
					e.Exists = &it.Exists
					b, err := json.Marshal(e)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(a.stdout, "%s\n", b)
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "name:      %s\nexists:    %t\nsize:      %d\ndirectory: %t\natime:     %s\n",
					it.Name, it.Exists, it.Size, it.Directory, formatTime(it.Atime))
				return err
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&deleted, "deleted", false, "describe the soft-deleted version")
	f.BoolVar(&asJSON, "json", false, "one JSON object: name, exists, size, directory, atime")
	return cmd
}
