package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/stats"
)

// session is one run of the command: its standard streams and the stats
// layers of the stores it opened.
type session struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// isTerminal reports whether a stream is a terminal (nil: never).
	isTerminal func(stream any) bool

	// started is set when a command's RunE begins: an error before that
	// is a usage error.
	started bool

	mu        sync.Mutex
	showStats bool
	stats     []*stats.Layer
}

type sessionKey struct{}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// printStats prints the stats table of every store opened, when --stats
// was given.
func (s *session) printStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.showStats || len(s.stats) == 0 {
		return
	}
	total := s.stats[0].Snapshot()
	for _, l := range s.stats[1:] {
		total = addSnapshots(total, l.Snapshot())
	}
	fmt.Fprintln(s.stderr, total.String())
}

// addSnapshots returns the sum of two stats snapshots.
func addSnapshots(a, b stats.Snapshot) stats.Snapshot {
	sum := stats.Snapshot{Ops: make(map[string]stats.OpStats, len(a.Ops))}
	for name, o := range a.Ops {
		p := b.Ops[name]
		sum.Ops[name] = stats.OpStats{
			Calls:    o.Calls + p.Calls,
			Errors:   o.Errors + p.Errors,
			Expected: o.Expected + p.Expected,
			Time:     o.Time + p.Time,
			Wall:     o.Wall + p.Wall,
			Bytes:    o.Bytes + p.Bytes,
		}
	}
	return sum
}

// app is what a command needs: the session and the global flags.
type app struct {
	*session
	quiet        bool
	sync         bool             // --sync
	levels       map[string][]int // nil: the levels the store records or holds
	changeLevels bool             // --change-levels
}

// appFor reads the global flags of cmd and marks the session started. Every
// command's RunE calls it first.
func appFor(cmd *cobra.Command) (*app, error) {
	s, _ := cmd.Context().Value(sessionKey{}).(*session)
	if s == nil { // run outside run(): the process's streams
		s = &session{stdin: cmd.InOrStdin(), stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr(), isTerminal: isTerminal}
	}
	s.started = true
	f := cmd.Flags()
	specs, _ := f.GetStringArray("levels")
	layout, _ := f.GetString("layout")
	quiet, _ := f.GetBool("quiet")
	sync, _ := f.GetBool("sync")
	changeLevels, _ := f.GetBool("change-levels")
	showStats, _ := f.GetBool("stats")
	s.mu.Lock()
	s.showStats = showStats
	s.mu.Unlock()
	levels, err := parseLevels(layout, specs)
	if err != nil {
		return nil, err
	}
	if changeLevels && levels == nil {
		return nil, usageErrorf("--change-levels: give the new levels with --levels or --layout")
	}
	return &app{session: s, quiet: quiet, sync: sync, levels: levels, changeLevels: changeLevels}, nil
}

// layouts are the known --layout values.
var layouts = map[string]map[string][]int{
	"borg2": {
		"archives/": {0}, "cache/": {0}, "config/": {0}, "index/": {0},
		"keys/": {0}, "locks/": {0}, "packs/": {1},
	},
}

// parseLevels builds the nesting configuration of --layout and --levels
// (which override the layout per namespace); nil when neither is given.
func parseLevels(layout string, specs []string) (map[string][]int, error) {
	if layout == "" && len(specs) == 0 {
		return nil, nil
	}
	levels := map[string][]int{}
	if layout != "" {
		l, ok := layouts[layout]
		if !ok {
			return nil, usageErrorf("--layout %q: unknown layout (known: borg2)", layout)
		}
		for ns, lv := range l {
			levels[ns] = slices.Clone(lv)
		}
	}
	given := map[string]bool{}
	for _, spec := range specs {
		ns, list, ok := strings.Cut(spec, "=")
		if !ok || list == "" {
			return nil, usageErrorf("--levels %q: want NAMESPACE=LEVEL[,LEVEL...], for example data/=2", spec)
		}
		if ns != "" && !strings.HasSuffix(ns, "/") {
			return nil, usageErrorf("--levels %q: a namespace ends in /, want %s/=%s", spec, ns, list)
		}
		if given[ns] {
			return nil, usageErrorf("--levels %q: namespace %q given twice", spec, ns)
		}
		given[ns] = true
		var lv []int
		for _, f := range strings.Split(list, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 || n > nesting.MaxLevel {
				return nil, usageErrorf("--levels %q: level %q is not a number from 0 to %d", spec, f, nesting.MaxLevel)
			}
			lv = append(lv, n)
		}
		levels[ns] = lv
	}
	return levels, nil
}

// compose returns the stack of the store at rawURL with the global flags'
// levels, and registers its stats layer for --stats.
func (a *app) compose(rawURL string, extra ...compose.Option) (kv.Backend, error) {
	var opts []compose.Option
	if a.levels != nil {
		opts = append(opts, compose.WithLevels(a.levels))
	}
	if a.sync {
		opts = append(opts, compose.WithSync(true))
	}
	if a.changeLevels {
		opts = append(opts, compose.WithLevelChange())
	}
	var st *stats.Layer
	opts = append(opts, compose.WithStats(&st))
	opts = append(opts, extra...)
	b, err := compose.Open(rawURL, opts...)
	if err != nil {
		return nil, err
	}
	if st != nil {
		a.mu.Lock()
		a.stats = append(a.stats, st)
		a.mu.Unlock()
	}
	return b, nil
}

// withStore opens the store at rawURL, runs f on it and closes it. Errors
// name the store.
func (a *app) withStore(ctx context.Context, rawURL string, f func(s kv.Backend) error) error {
	if err := refuseMem(rawURL); err != nil {
		return err
	}
	s, err := a.compose(rawURL)
	if err != nil {
		return err
	}
	if err := s.Open(ctx); err != nil {
		return inStore(rawURL, err)
	}
	err = f(s)
	return inStore(rawURL, errors.Join(err, s.Close(context.WithoutCancel(ctx))))
}

// refuseMem refuses a mem:// URL, with a usage error that says why: every
// run of the command would get a new, empty store in its own memory. bench
// and serve take mem:// (a store that lives as long as the command).
func refuseMem(rawURL string) error {
	scheme, _, _ := strings.Cut(rawURL, ":")
	if !strings.EqualFold(scheme, "mem") {
		return nil
	}
	return usageErrorf("%s: a mem:// store lives in the memory of one kvcompose process, so every command would get a new, empty one; "+
		"mem:// works with bench and serve (and in Go programs and tests); use file:///path for a store that lasts", rawURL)
}

// inStore prefixes err with the store's URL (its password, if any,
// redacted), so that a message says which store failed.
func inStore(rawURL string, err error) error {
	if err == nil {
		return nil
	}
	if u, perr := url.Parse(rawURL); perr == nil {
		rawURL = u.Redacted()
	}
	return fmt.Errorf("%s: %w", rawURL, err)
}

// isTerminal reports whether stream is a terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminal reports whether stream is a terminal, as the session sees it.
func (s *session) terminal(stream any) bool { return s.isTerminal != nil && s.isTerminal(stream) }

// nargs checks that a command has from min to max arguments (max < 0: no
// limit); a wrong number is a usage error that shows the command's use.
func nargs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || max >= 0 && len(args) > max {
			return usageErrorf("usage: %s %s (got %s; see '%s --help')",
				cmd.Parent().CommandPath(), cmd.Use, plural(len(args), "argument"), cmd.CommandPath())
		}
		return nil
	}
}

// plural gives "1 argument", "2 arguments".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
