// Command demo shows a kvcompose store at work, like borgstore's demo: it
// creates a store, writes two config items and two data items (keys named by
// the sha256 of their value), lists them, soft-deletes one, lists the live
// and the deleted items, prints the statistics and removes the store.
//
// With no argument the store lives in a new temporary directory:
//
//	go run ./examples/demo
//
// With a URL it uses that store (creating it if it does not exist) and asks
// before destroying it; -yes skips the question:
//
//	go run ./examples/demo [-yes] file:///tmp/demo-store
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvcompose/compose"
	// The demo takes a URL of any driver of the module.
	_ "github.com/kvcompose/compose/drivers/all"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/stats"
)

func main() {
	yes := flag.Bool("yes", false, "destroy the store at the end without asking")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: demo [-yes] [URL]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *yes, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, yes bool, in io.Reader, out io.Writer) error {
	if url == "" {
		dir, err := os.MkdirTemp("", "kvcompose-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		url = "file://" + filepath.ToSlash(filepath.Join(dir, "store"))
		yes = true
	}
	var st *stats.Layer
	store, err := compose.Open(url,
		compose.WithLevels(map[string][]int{"config/": {0}, "data/": {1}}),
		compose.WithStats(&st))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "store:", url)
	switch err := store.Create(ctx); {
	case errors.Is(err, kv.ErrExists):
		fmt.Fprintln(out, "using the existing store")
	case err != nil:
		return err
	default:
		fmt.Fprintln(out, "created the store")
	}
	if err := store.Open(ctx); err != nil {
		return err
	}
	if err := work(ctx, store, out); err != nil {
		store.Close(ctx)
		return err
	}
	fmt.Fprintf(out, "\nstats:\n%s\n", st.Snapshot())
	if err := store.Close(ctx); err != nil {
		return err
	}
	if !yes && !ask(in, out, "destroy the store at "+url+"? [y/N] ") {
		fmt.Fprintln(out, "kept the store")
		return nil
	}
	if err := store.Destroy(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "destroyed the store")
	return nil
}

func work(ctx context.Context, store kv.Backend, out io.Writer) error {
	for _, item := range []struct{ name, value string }{
		{"config/main", "[repository]\nversion = 2\n"},
		{"config/settings", "compression = zstd\n"},
	} {
		if err := store.Store(ctx, item.name, []byte(item.value)); err != nil {
			return err
		}
	}
	var keys []string
	for _, value := range []string{"first data item", "second data item"} {
		sum := sha256.Sum256([]byte(value))
		key := hex.EncodeToString(sum[:])
		if err := store.Store(ctx, "data/"+key, []byte(value)); err != nil {
			return err
		}
		keys = append(keys, key)
	}
	if err := list(ctx, store, out, "config", "config/"); err != nil {
		return err
	}
	if err := list(ctx, store, out, "data", "data/"); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nsoft-deleting data/%s\n", keys[0])
	if err := store.Move(ctx, "data/"+keys[0], "", kv.SoftDelete()); err != nil {
		return err
	}
	if err := list(ctx, store, out, "live data", "data/"); err != nil {
		return err
	}
	return list(ctx, store, out, "deleted data", "data/", kv.Deleted())
}

func list(ctx context.Context, store kv.Backend, out io.Writer, title, ns string, opts ...kv.Option) error {
	fmt.Fprintf(out, "\n%s:\n", title)
	for it, err := range store.List(ctx, strings.TrimSuffix(ns, "/"), opts...) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s%s  %d bytes\n", ns, it.Name, it.Size)
	}
	return nil
}

// ask prints question and reports whether the answer starts with y.
func ask(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	fmt.Fprintln(out)
	return answer == "y" || answer == "yes"
}
