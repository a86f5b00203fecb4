package main

import (
	"bytes"
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
			value, err := a.readInput(args[2:])
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), args[0], func(s kv.Backend) error {
				p := a.startProgress("storing "+args[1], int64(len(value)), progressOpts{bytes: true})
				defer p.Done()
				return s.Store(p.context(cmd.Context()), args[1], value)
			})
		},
	}
}

// readInput reads the file named in args, or stdin when there is none or
// it is "-". A bar shows the progress of reading a large file.
func (a *app) readInput(args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		if a.terminal(a.stdin) {
			return nil, usageErrorf("put: no FILE given and stdin is a terminal")
		}
		var buf bytes.Buffer
		p := a.startProgress("reading stdin", -1, progressOpts{bytes: true})
		defer p.Done()
		_, err := io.Copy(&buf, countingReader{a.stdin, p})
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return buf.Bytes(), nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("reading %s: is a directory", args[0])
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	p := a.startProgress("reading "+args[0], fi.Size(), progressOpts{bytes: true})
	defer p.Done()
	if _, err := io.Copy(buf, countingReader{f, p}); err != nil {
		return nil, fmt.Errorf("reading %s: %w", args[0], err)
	}
	return buf.Bytes(), nil
}

// countingReader counts the bytes read into a progress.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n))
	return n, err
}
