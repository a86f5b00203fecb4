package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newQuotaCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quota URL",
		Short: "Show the limit and usage of a store in bytes",
		Long: `Quota shows the limit and the usage of the store in bytes; "not tracked"
(-1 in JSON) when the store does not keep them.`,
		Example: `  kvcompose quota file:///srv/store`,
		Args:    nargs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				q, err := s.Quota(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					b, err := json.Marshal(struct {
						Limit int64 `json:"limit"`
						Usage int64 `json:"usage"`
					}{q.Limit, q.Usage})
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(a.stdout, "%s\n", b)
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "limit: %s\nusage: %s\n", quotaValue(q.Limit), quotaValue(q.Usage))
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object: limit, usage")
	return cmd
}

func quotaValue(n int64) string {
	if n < 0 {
		return "not tracked"
	}
	return strconv.FormatInt(n, 10)
}
