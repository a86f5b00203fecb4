package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose/kv"
)

func newPutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "put URL NAME [FILE]",
		Short: "Store a file, or stdin, as the value of an item",
		Long: `Put stores the content of FILE, or of stdin when FILE is missing or "-",
as the value of NAME, replacing an existing value atomically: readers see
the old value or the new one, never a part.`,
		Example: `  kvcompose put file:///srv/store config/settings settings.json
  echo hello | kvcompose put file:///srv/store data/0123abcd`,
		Args: nargs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			src, size, done, err := a.openInput(args[2:])
			if err != nil {
				return err
			}
			defer done()
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				p := a.startProgress("storing "+args[1], size, progressOpts{bytes: true})
				defer p.Done()
				return s.StoreStream(cmd.Context(), args[1], p.reader(src), size)
			})
		},
	}
}

// openInput opens the file named in args, or takes stdin when there is
// none or it is "-", and returns it as it is (a file keeps the kernel's
// copy paths), with its size (-1 for stdin and for what is not a regular
// file) and done, which closes what openInput opened.
func (a *app) openInput(args []string) (src io.Reader, size int64, done func(), err error) {
	if len(args) == 0 || args[0] == "-" {
		if a.terminal(a.stdin) {
			return nil, 0, nil, usageErrorf("put: no FILE given and stdin is a terminal")
		}
		return a.stdin, -1, func() {}, nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("reading %s: is a directory", args[0])
	}
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	size = -1
	if fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}
