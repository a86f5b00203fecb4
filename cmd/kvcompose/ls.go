package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

// timeFormat is how -l shows times: RFC 3339 in the local time zone.
const timeFormat = time.RFC3339

func newLsCmd() *cobra.Command {
	var long, deleted, asJSON bool
	cmd := &cobra.Command{
		Use:   "ls URL [NAMESPACE]",
		Short: "List a namespace (the root when none is given)",
		Long: `Ls lists the entries of NAMESPACE (the root when none is given), sorted by
name, one per line; directories end in "/". A nested namespace (--levels,
--layout) lists its items by key, through all its nesting directories.

  -l      adds the size in bytes and the last access time (where the store
          knows it, "-" otherwise)
  --json  one JSON object per line: name, size, directory, atime
  --deleted lists the soft-deleted items instead of the live ones`,
		Example: `  kvcompose ls file:///srv/store
  kvcompose ls -l --levels data/=2 file:///srv/store data
  kvcompose ls --json --deleted file:///srv/store data`,
		Args: nargs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if long && asJSON {
				return usageErrorf("ls: -l and --json exclude each other")
			}
			ns := ""
			if len(args) == 2 {
				ns = strings.TrimSuffix(args[1], "/")
			}
			var opts []kv.Option
			if deleted {
				opts = append(opts, kv.Deleted())
			}
			out := bufio.NewWriter(a.stdout)
			defer out.Flush()
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				p := a.startProgress("listing "+ns, -1, progressOpts{count: true, dataOnStdout: true})
				defer p.Done()
				for it, err := range s.List(cmd.Context(), ns, opts...) {
					if err != nil {
						return err
					}
					if err := writeEntry(out, it, long, asJSON); err != nil {
						return err
					}
					p.Add(1)
				}
				return out.Flush()
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&long, "long", "l", false, "show size and last access time")
	f.BoolVar(&deleted, "deleted", false, "list soft-deleted items")
	f.BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

// entry is the JSON form of an item of ls and info.
type entry struct {
	Name      string     `json:"name"`
	Exists    *bool      `json:"exists,omitempty"`
	Size      int64      `json:"size"`
	Directory bool       `json:"directory"`
	Atime     *time.Time `json:"atime,omitempty"`
}

func toEntry(it kv.ItemInfo) entry {
	e := entry{Name: it.Name, Size: it.Size, Directory: it.Directory}
	if !it.Atime.IsZero() {
		t := it.Atime
		e.Atime = &t
	}
	return e
}

// writeEntry writes one line of ls.
func writeEntry(w io.Writer, it kv.ItemInfo, long, asJSON bool) error {
	name := it.Name
	if it.Directory {
		name += "/"
	}
	var err error
	switch {
	case asJSON:
		var b []byte
		if b, err = json.Marshal(toEntry(it)); err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
	case long:
		_, err = fmt.Fprintf(w, "%12d  %-25s  %s\n", it.Size, formatTime(it.Atime), name)
	default:
		_, err = fmt.Fprintln(w, name)
	}
	return err
}

// formatTime gives t in RFC 3339, or "-" when it is unknown.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(timeFormat)
}
