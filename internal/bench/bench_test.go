package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/internal/bench"
	"github.com/kvcompose/compose/kv"
)

// TestWays runs every way on the local disk for two rounds and checks the
// counts and the table.
func TestWays(t *testing.T) {
	dir := t.TempDir()
	w, err := bench.NewWorkload(30, 256)
	if err != nil {
		t.Fatal(err)
	}
	ways := []bench.Way{
		bench.Syscalls(dir),
		bench.Driver("posixfs", dir, func(d string) (kv.Backend, error) { return posixfs.New(d) }),
		bench.Store("compose", func(round int) (kv.Backend, error) {
			return compose.Open(fmt.Sprintf("file://%s/compose-%d", dir, round),
				compose.WithLevels(map[string][]int{"data/": {1}}), compose.WithoutThrottle())
		}),
	}
	res, err := bench.Run(context.Background(), ways, w, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.Done.Load(), 2*int64(len(ways))*w.Ops(); got != want {
		t.Errorf("Done = %d, want %d", got, want)
	}
	var b bytes.Buffer
	if err := res.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1+len(bench.Phases) || !strings.Contains(lines[0], "compose µs/op") {
		t.Errorf("table:\n%s", b.String())
	}
	for p, name := range bench.Phases {
		for i := range ways {
			if res.Best[i][p] <= 0 {
				t.Errorf("%s %s: best %v", ways[i].Name, name, res.Best[i][p])
			}
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ n, size int }{{0, 4096}, {10, bench.MinSize - 1}} {
		if _, err := bench.NewWorkload(c.n, c.size); err == nil {
			t.Errorf("NewWorkload(%d, %d): no error", c.n, c.size)
		}
	}
	w, _ := bench.NewWorkload(5, bench.MinSize)
	// Without a nesting layer, a driver-level Store way lists the items
	// flat; with a namespace that is nested but not listed as such, the
	// listing yields directories and the way says so.
	dir := t.TempDir()
	_, err := bench.Run(context.Background(), []bench.Way{bench.Store("flat", func(int) (kv.Backend, error) {
		return compose.Open("file://"+dir+"/s", compose.WithoutThrottle())
	})}, w, 1)
	if err != nil {
		t.Errorf("flat store: %v", err)
	}
	_, err = bench.Run(context.Background(), []bench.Way{bench.Store("no softdelete", func(int) (kv.Backend, error) {
		return compose.Open("file://"+dir+"/t", compose.WithoutThrottle(), compose.WithoutSoftDelete())
	})}, w, 1)
	if err == nil || !strings.Contains(err.Error(), "no softdelete") {
		t.Errorf("a stack without softdelete: %v", err)
	}
	if _, err := bench.Run(context.Background(), nil, w, 1); err == nil {
		t.Error("Run without ways: no error")
	}
}

// Example runs the workload on an in-memory store and prints how many
// operations it made.
func Example() {
	w, err := bench.NewWorkload(100, 1024)
	if err != nil {
		panic(err)
	}
	way := bench.Store("memory", func(int) (kv.Backend, error) {
		return compose.Wrap(memory.New("bench-example"), compose.WithLevels(map[string][]int{"data/": {1}}))
	})
	res, err := bench.Run(context.Background(), []bench.Way{way}, w, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Done.Load(), "operations;", len(res.Best[0]), "phases:", strings.Join(bench.Phases, ", "))
	// Output: 1200 operations; 6 phases: store, load, partial load, list, soft delete, delete
}
