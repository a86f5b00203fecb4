package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose"
)

func newDestroyCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "destroy URL",
		Short: "Remove a store and everything in it",
		Long: `Destroy removes the store at URL and every item in it. It first checks that
URL is a store (one that kvcompose, borgstore or Borg 2 made): a directory
holding anything else is refused, and nothing is removed. Then it says how
many items and bytes it will remove and asks (a line "y" or "yes" on stdin
confirms); --yes skips the counting and the question, never the check.`,
		Example: `  kvcompose destroy file:///srv/store
  kvcompose destroy --yes file:///tmp/scratch`,
		Args: nargs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if !yes {
				n, size, err := a.count(cmd.Context(), args[0])
				if err != nil {
					return inStore(args[0], err)
				}
				q := fmt.Sprintf("destroy %s: %s (%s) and every directory? [y/N] ", args[0], plural(int(n), "item"), formatBytes(size))
				if err := a.confirm(q); err != nil {
					return inStore(args[0], err)
				}
			}
			p := a.startProgress("destroying", -1, progressOpts{})
			defer p.Done()
			s, err := a.compose(args[0], nestingProgress(p))
			if err != nil {
				return err
			}
			return inStore(args[0], s.Destroy(cmd.Context()))
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not count and ask (the store is still checked)")
	return cmd
}

// count opens the store at rawURL (which checks that it is one) and counts
// its items, soft-deleted ones included, and their bytes, as stored.
func (a *app) count(ctx context.Context, rawURL string) (items, size int64, err error) {
	s, err := compose.Open(rawURL, compose.WithoutNesting(), compose.WithoutSoftDelete(), compose.WithoutStats())
	if err != nil {
		return 0, 0, err
	}
	if err := s.Open(ctx); err != nil {
		return 0, 0, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	p := a.startProgress("counting", -1, progressOpts{count: true})
	defer p.Done()
	var walk func(dir string) error
	walk = func(dir string) error {
		for it, err := range s.List(ctx, dir) {
			if err != nil {
				return err
			}
			name := it.Name
			if dir != "" {
				name = dir + "/" + name
			}
			if it.Directory {
				if err := walk(name); err != nil {
					return err
				}
				continue
			}
			items++
			size += it.Size
			p.Add(1)
		}
		return nil
	}
	return items, size, walk("")
}

// formatBytes gives n in bytes with a binary unit: "512 B", "1.5 KiB".
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}

// errNotConfirmed is the answer "no" to a question.
var errNotConfirmed = errors.New("not confirmed (--yes skips the question)")

// confirm asks question on stderr and reads the answer from stdin; anything
// but "y" or "yes" is errNotConfirmed.
func (a *app) confirm(question string) error {
	fmt.Fprint(a.stderr, question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if !a.terminal(a.stdin) {
		fmt.Fprintln(a.stderr) // the answer did not echo a newline
	}
	if err != nil && line == "" {
		return fmt.Errorf("no answer on stdin: %w", errNotConfirmed)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errNotConfirmed
}
