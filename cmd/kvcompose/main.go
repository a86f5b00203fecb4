// Command kvcompose works on kvcompose stores from the shell: it creates and
// destroys stores, lists, reads, writes, renames, soft-deletes and hashes
// items, reports the quota, and benchmarks a store. Every store is given by
// its URL (file:///abs/path, sftp://host/path, rclone:remote:path, ...) and
// opened with compose.Open, so every command goes through the same stack of
// layers as a program using the library.
//
// Exit status: 0 on success, 1 when the operation failed, 2 for a usage
// error (a bad flag or argument, a malformed URL, an invalid name). Every
// error is one line on stderr that names the item and the cause.
//
// The semantics of every call are in docs/semantics.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	// The command takes every URL form of the module.
	_ "github.com/kvcompose/compose/drivers/all"
	"github.com/kvcompose/compose/kv"
)

// The exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	sess := &session{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: isTerminal}
	os.Exit(run(context.Background(), os.Args[1:], sess))
}

// run runs the command line args in sess and returns the exit status. It
// never panics: a panic is reported as one line, like every other error.
func run(ctx context.Context, args []string, sess *session) (code int) {
	stderr := sess.stderr
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(stderr, "kvcompose: internal error (please report it):", oneLine(fmt.Sprint(r)))
			code = exitFailed
		}
	}()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(sess.stdin)
	root.SetOut(sess.stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(withSession(ctx, sess))
	sess.printStats()
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = fmt.Errorf("interrupted: %w", err)
	}
	fmt.Fprintln(stderr, "kvcompose: "+oneLine(err.Error()))
	return exitCode(err, sess.started)
}

// newRootCmd returns the kvcompose command with its global flags and every
// subcommand.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kvcompose",
		Short: "Work on kvcompose key/value stores",
		Long: `kvcompose works on kvcompose key/value stores, given by their URL:

  file:///absolute/path[?sync=true]          a directory on this machine
  sftp://[user@]host[:port]/relative/path    an SFTP server, relative to the
  sftp://[user@]host[:port]//absolute/path     login directory or absolute
                                             (~/.ssh/config applies; ?sync=true)
  rclone:remote:path                         any rclone remote (rclone::local:/tmp/x)
  s3:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH
                                             S3 or a compatible server (AWS_* variables)
  b2:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH
                                             Backblaze B2's S3 endpoint
  http://[USER:PASS@]HOST[:PORT][/PATH]      a borgstore REST server (kvcompose serve)
  https://[USER:PASS@]HOST[:PORT][/PATH]     the same over TLS
  rest://[USER@]HOST[:PORT]/PATH             the same protocol over ssh
  rest:///PATH                               the same, run on this machine
  mem://name                                 in this process's memory: bench and
                                             serve only, since every kvcompose
                                             run would get a new, empty store

Names are namespace/key, lowercase ASCII ("data/0123abcd"). A store
records the levels it was created with (--levels, --layout), and every
command nests names by them; a store without a record (made by borgstore
or Borg 2) is read at the levels its items are at. --levels that
contradict the store are an error (see --change-levels). --sync (or
?sync=true in a file:// or sftp:// URL) makes every store, move and delete
durable before the command goes on: slower, and safe against a power cut.

Exit status: 0 success, 1 the operation failed, 2 usage error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	pf := root.PersistentFlags()
	pf.StringArray("levels", nil, "nesting levels of a namespace, NS=N[,M] (repeatable: --levels data/=2 --levels config/=0)")
	pf.Bool("change-levels", false, "record --levels/--layout that differ from the levels the store records (a level change; recorded levels must stay)")
	pf.String("layout", "", "a known layout of levels: borg2 (archives/ cache/ config/ index/ keys/ locks/ at level 0, packs/ at level 1)")
	pf.Bool("stats", false, "print the table of calls, errors, time and bytes per operation on exit (to stderr)")
	pf.BoolP("quiet", "q", false, "no progress bars and no messages, only results and errors")
	pf.Bool("sync", false, "make every store, move and delete durable when it returns (fsync; file:// and sftp://, s3: always is)")
	_ = root.RegisterFlagCompletionFunc("layout", cobra.FixedCompletions([]string{"borg2"}, cobra.ShellCompDirectiveNoFileComp))
	// The last check of the command line: what fails before this is a
	// usage error, what fails after it an operation (exit status 1).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		for _, check := range []func() error{cmd.ValidateRequiredFlags, cmd.ValidateFlagGroups} {
			if err := check(); err != nil {
				return usageErrorf("%s (see '%s --help')", err, cmd.CommandPath())
			}
		}
		if s, ok := cmd.Context().Value(sessionKey{}).(*session); ok {
			s.started = true
		}
		return nil
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%s (see '%s --help')", err, cmd.CommandPath())
	})
	root.AddCommand(
		newCreateCmd(),
		newDestroyCmd(),
		newLsCmd(),
		newInfoCmd(),
		newGetCmd(),
		newPutCmd(),
		newRmCmd(),
		newUndeleteCmd(),
		newMvCmd(),
		newHashCmd(),
		newQuotaCmd(),
		newBenchCmd(),
		newServeCmd(),
	)
	return root
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the exit status: a usage error, or any error
// before a command started to run (unknown command, bad flag, wrong number
// of arguments), a malformed URL or an invalid name is 2, anything else 1.
func exitCode(err error, started bool) int {
	var u *usageError
	switch {
	case !started, errors.As(err, &u):
		return exitUsage
	case errors.Is(err, kv.ErrInvalidURL), errors.Is(err, kv.ErrInvalidName):
		return exitUsage
	}
	return exitFailed
}

// oneLine joins the lines of a message (errors.Join gives several) with
// "; ", so that every error is one line.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
