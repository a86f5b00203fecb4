package main

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rclone"
	"github.com/kvcompose/compose/internal/bench"
	"github.com/kvcompose/compose/kv"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	n, size, rounds int
	compare, rclone bool
	namespace       string
}

func newBenchCmd() *cobra.Command {
	var bf benchFlags
	cmd := &cobra.Command{
		Use:   "bench [URL]",
		Short: "Time store, load, partial load, list, soft delete and delete",
		Long: `Bench writes N items of SIZE bytes (keys: the hex SHA-256 of each value)
into the namespace data/ and times, per phase, store, load, partial load
(128 bytes at offset 64), list, soft delete, and delete of the soft-deleted
items. Each phase does N operations; the table shows microseconds per
operation, the best of --rounds rounds.

bench URL runs the workload through the full stack of the store at URL,
which must not exist yet: each round creates it, runs, and destroys it.
Without --levels or --layout, data/ is nested at level 1.

bench --compare [file:///DIR] runs it three ways on the local disk, in a
temporary directory under DIR (the system's by default), each round on
fresh stores, interleaved: plain system calls (the floor), the posixfs
driver alone, and the compose stack over posixfs (nesting level 1, no
throttle); the table adds each way's ratio to the system calls. --rclone
adds the rclone driver on a local-disk remote (needs rclone).`,
		Example: `  kvcompose bench file:///tmp/bench-store
  kvcompose bench -n 2000 sftp://backup@host/bench-store
  kvcompose bench --compare
  kvcompose bench --compare --rclone -n 2000`,
		Args: nargs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := appFor(cmd)
			if err != nil {
				return err
			}
			return a.bench(cmd, args, bf)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&bf.n, "items", "n", 20000, "number of items")
	f.IntVar(&bf.size, "size", 4096, "bytes per item (at least 192)")
	f.IntVar(&bf.rounds, "rounds", 3, "rounds; the best round of each phase is shown")
	f.BoolVar(&bf.compare, "compare", false, "compare with system calls and the posixfs driver on the local disk")
	f.BoolVar(&bf.rclone, "rclone", false, "with --compare: also the rclone driver on a local-disk remote")
	f.StringVar(&bf.namespace, "namespace", "data", "namespace of the items (bench URL only)")
	return cmd
}

func (a *app) bench(cmd *cobra.Command, args []string, bf benchFlags) error {
	if bf.rclone {
		bf.compare = true
	}
	switch {
	case bf.n < 1 || bf.size < bench.MinSize || bf.rounds < 1:
		return usageErrorf("bench: need -n >= 1, --size >= %d (the partial load reads 128 bytes at 64), --rounds >= 1", bench.MinSize)
	case !bf.compare && len(args) == 0:
		return usageErrorf("bench: give the URL of a store to create, or --compare (see 'kvcompose bench --help')")
	case bf.compare && a.levels != nil:
		return usageErrorf("bench --compare: the ways compare at nesting level 1; --levels and --layout do not apply")
	case bf.compare && cmd.Flags().Changed("namespace"):
		return usageErrorf("bench --compare: --namespace does not apply")
	}
	w, err := bench.NewWorkload(bf.n, bf.size)
	if err != nil {
		return usageErrorf("%s", err)
	}
	// Traces and metrics as the OTEL_* variables ask (otel.go).
	tel, err := startTelemetry(cmd.Context(), false)
	if err != nil {
		return fmt.Errorf("bench: OpenTelemetry: %w", err)
	}
	defer tel.stop(nil)
	w.Namespace = strings.Trim(bf.namespace, "/")
	if a.levels == nil {
		a.levels = map[string][]int{w.Namespace + "/": {1}}
	}
	var (
		ways  []bench.Way
		where string
	)
	if bf.compare {
		dir := os.TempDir()
		if len(args) == 1 {
			if dir, err = localDir(args[0]); err != nil {
				return err
			}
		}
		top, err := os.MkdirTemp(dir, "kvbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(top)
		where = top
		ways = a.compareWays(top, bf.rclone, tel.meterOptions()...)
	} else {
		where = args[0]
		if _, err := a.compose(args[0]); err != nil { // a bad URL is a usage error before any work
			return err
		}
		ways = []bench.Way{bench.Store("store", func(int) (kv.Backend, error) { return a.compose(args[0], tel.meterOptions()...) })}
	}

	p := a.startProgress("bench", int64(bf.rounds*len(ways))*w.Ops(), progressOpts{count: true, source: &w.Done})
	res, err := bench.Run(cmd.Context(), ways, w, bf.rounds)
	p.Done()
	if err != nil {
		return inStore(where, err)
	}
	fmt.Fprintf(a.stdout, "bench: %d items of %d bytes in %s/ (levels %s), best of %s, at %s\n\n",
		bf.n, bf.size, w.Namespace, formatLevels(a.levels), plural(bf.rounds, "round"), where)
	return res.WriteTable(a.stdout)
}

// compareWays are the ways of bench --compare, in stores under top; extra
// are options of the compose stack.
func (a *app) compareWays(top string, withRclone bool, extra ...compose.Option) []bench.Way {
	ways := []bench.Way{
		bench.Syscalls(top),
		bench.Driver("posixfs", top, func(dir string) (kv.Backend, error) { return posixfs.New(dir) }),
		bench.Store("compose", func(round int) (kv.Backend, error) {
			dir := filepath.Join(top, fmt.Sprintf("compose-%d", round))
			return a.compose("file://"+filepath.ToSlash(dir), append([]compose.Option{compose.WithoutThrottle()}, extra...)...)
		}),
	}
	if withRclone {
		ways = append(ways, bench.Driver("rclone", top, func(dir string) (kv.Backend, error) {
			return rclone.New(":local:" + dir), nil
		}))
	}
	return ways
}

// localDir returns the directory of a file:// URL.
func localDir(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "file" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return "", usageErrorf("bench --compare %s: want a file:///absolute/dir URL for the local disk", rawURL)
	}
	return filepath.FromSlash(u.Path), nil
}

// formatLevels gives levels as --levels takes them: "data/=1 packs/=1,2".
func formatLevels(levels map[string][]int) string {
	var parts []string
	for _, ns := range slices.Sorted(maps.Keys(levels)) {
		var lv []string
		for _, l := range levels[ns] {
			lv = append(lv, strconv.Itoa(l))
		}
		parts = append(parts, ns+"="+strings.Join(lv, ","))
	}
	return strings.Join(parts, " ")
}
