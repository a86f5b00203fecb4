package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newGetCmd() *cobra.Command {
	var (
		output       string
		offset, size int64
		deleted      bool
	)
	cmd := &cobra.Command{
		Use:   "get URL NAME",
		Short: "Write the value of an item to stdout or a file",
		Long: `Get writes the value of NAME to stdout, or to FILE with -o (written to a
temporary file beside it and renamed, so FILE is never left half written).

--offset and --size select a part: a negative offset counts from the end
(--offset -3 gives the last three bytes), --size -1 (the default) means to
the end, and a part past the end is cut at the end.`,
		Example: `  kvcompose get file:///srv/store config/settings
  kvcompose get -o pack.bin --levels packs/=1 file:///srv/repo packs/0123abcd
  kvcompose get --offset 64 --size 128 file:///srv/store data/0123abcd | xxd`,
		Args: nargs(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			var opts []kv.Option
			if cmd.Flags().Changed("offset") || cmd.Flags().Changed("size") {
				opts = append(opts, kv.Range(offset, size))
			}
			if deleted {
				opts = append(opts, kv.Deleted())
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				toStdout := output == "" || output == "-"
				po := progressOpts{bytes: true, dataOnStdout: toStdout}
				total := int64(-1)
				if a.showsProgress(po) && len(opts) == 0 {
					// The size, for the bar's total and time left
					// (only where a bar is drawn).
					if info, err := s.Info(cmd.Context(), args[1]); err == nil && info.Exists {
						total = info.Size
					}
				}
				p := a.startProgress("loading "+args[1], total, po)
				defer p.Done()
				r, err := s.LoadStream(cmd.Context(), args[1], opts...)
				if err != nil {
					return err
				}
				if toStdout {
					_, err = io.Copy(a.stdout, p.reader(r))
				} else {
					err = writeFile(output, p.reader(r))
				}
				return errors.Join(err, r.Close())
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write to `FILE` instead of stdout")
	f.Int64Var(&offset, "offset", 0, "first byte of the part to read (negative: from the end)")
	f.Int64Var(&size, "size", -1, "bytes to read (-1: to the end)")
	f.BoolVar(&deleted, "deleted", false, "read the soft-deleted version")
	return cmd
}

// writeFile writes what r holds to a temporary file beside path and renames
// it to path; on a failure it removes the temporary and leaves path as it
// was.
func writeFile(path string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
