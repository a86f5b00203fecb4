package main

import (
	"github.com/spf13/cobra"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/layers/nesting"
)

func newCreateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "create URL",
		Short: "Create a new, empty store",
		Long: `Create makes a new, empty store at URL (missing parent directories are
made). An existing empty directory is accepted; a non-empty one is an error.

The store records --levels or --layout (layout.hid), with the root at
level 0 for the names of every other namespace unless --levels =N says
otherwise, and every other command uses the recorded levels without being
told. The directories of
the deepest level of every nested namespace are made ahead where the store
benefits (a local disk, sftp): 256 per namespace at level 1, 65,536 at
level 2. A bar shows the progress on a terminal.`,
		Example: `  kvcompose create file:///srv/store
  kvcompose create --levels data/=2 --levels config/=0 sftp://backup@host/store
  kvcompose create --layout borg2 file:///srv/borg-repo`,
		Args: nargs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			if err := refuseMem(args[0]); err != nil {
				return err
			}
			if _, ok := a.levels[""]; a.levels != nil && !ok {
				a.levels[""] = []int{0} // the names of no other namespace, as they are
			}
			p := a.startProgress("pre-creating directories", -1, progressOpts{count: true})
			defer p.Done()
			s, err := a.compose(args[0], nestingProgress(p))
			if err != nil {
				return err
			}
			return inStore(args[0], s.Create(cmd.Context()))
		},
	}
}

// nestingProgress makes the nesting layer report its progress (pre-creating
// directories on Create) to p.
func nestingProgress(p *progress) compose.Option {
	return compose.WithNestingOptions(nesting.WithProgress(func(done, total int) {
		p.SetTotal(int64(total))
		p.Set(int64(done))
	}))
}
