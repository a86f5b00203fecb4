package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/quota"
)

func newQuotaCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quota URL",
		Short: "Show the limit and usage of a store in bytes",
		Long: `Quota shows the limit and the usage of the store in bytes, as the store
records them: the usage that a quota layer or a borgstore server keeps in
the store (the hidden record quota.hid at its root), or what the store
itself reports (a REST server). The limit is a setting of whoever writes
the store (kvcompose serve --quota, compose.WithQuota), not recorded in it:
"not recorded" (-1 in JSON). A store without a record says "not tracked"
(-1). Quota only reads: it neither scans the store nor writes a record.`,
		Example: `  kvcompose quota file:///srv/store
  kvcompose quota --json sftp://backup@host/repo`,
		Args: nargs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if err := refuseMem(args[0]); err != nil {
				return err
			}
			// The record is at the root, whatever the nesting levels.
			s, err := a.composeAs(args[0], nil)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := s.Open(ctx); err != nil {
				return inStore(args[0], err)
			}
			q, source, err := recordedQuota(ctx, s)
			if err = errors.Join(err, s.Close(context.WithoutCancel(ctx))); err != nil {
				return inStore(args[0], err)
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
			limit := "not recorded in the store"
			if q.Limit >= 0 {
				limit = strconv.FormatInt(q.Limit, 10)
			}
			usage := "not tracked (no quota.hid)"
			if q.Usage >= 0 {
				usage = strconv.FormatInt(q.Usage, 10) + " (" + source + ")"
			}
			_, err = fmt.Fprintf(a.stdout, "limit: %s\nusage: %s\n", limit, usage)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object: limit, usage (-1: not known)")
	return cmd
}

// recordedQuota returns the quota of the open store s: what it reports,
// else the usage its quota record holds; source says which.
func recordedQuota(ctx context.Context, s kv.Backend) (kv.Quota, string, error) {
	q, err := s.Quota(ctx)
	if err != nil || q.Usage >= 0 {
		return q, "reported by the store", err
	}
	usage, found, err := quota.Recorded(ctx, s)
	if err != nil {
		return q, "", fmt.Errorf("reading quota.hid: %w", err)
	}
	if found {
		q.Usage = usage
	}
	return q, "recorded in quota.hid", nil
}

// composeAs is compose with the given nesting levels instead of the
// global flags' (nil: no nesting layer).
func (a *app) composeAs(rawURL string, levels map[string][]int, extra ...compose.Option) (kv.Backend, error) {
	saved := a.levels
	a.levels = levels
	defer func() { a.levels = saved }()
	return a.compose(rawURL, extra...)
}
