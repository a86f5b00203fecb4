package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newDestroyCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "destroy URL",
		Short: "Remove a store and everything in it",
		Long: `Destroy removes the store at URL and every item in it. It asks first
(a line "y" or "yes" on stdin confirms); --yes skips the question.`,
		Example: `  kvcompose destroy file:///srv/store
  kvcompose destroy --yes mem://scratch`,
		Args: nargs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if !yes {
				if _, err := a.compose(args[0]); err != nil { // a bad URL before the question
					return err
				}
				if err := a.confirm(fmt.Sprintf("destroy %s and everything in it? [y/N] ", args[0])); err != nil {
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
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	return cmd
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
