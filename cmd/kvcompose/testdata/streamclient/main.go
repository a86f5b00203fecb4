// Command streamclient puts a file to, or gets it from, a store through
// LoadStream and StoreStream, and prints the MB/s and its own peak RSS:
// the client side of serve-speed.sh.
//
//	go run ./cmd/kvcompose/testdata/streamclient put|get URL NAME FILE
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kvcompose/compose"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: streamclient put|get URL NAME FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, "streamclient:", err)
		os.Exit(1)
	}
}

func run(verb, url, name, file string) error {
	ctx := context.Background()
	store, err := compose.Open(url)
	if err != nil {
		return err
	}
	if err := store.Open(ctx); err != nil {
		return err
	}
	defer store.Close(ctx)
	start := time.Now()
	var n int64
	switch verb {
	case "put":
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		n = st.Size()
		if err := store.StoreStream(ctx, name, f, n); err != nil {
			return err
		}
	case "get":
		rc, err := store.LoadStream(ctx, name)
		if err != nil {
			return err
		}
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if n, err = io.Copy(f, rc); err != nil {
			return err
		}
		if err := rc.Close(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("verb %q, want put or get", verb)
	}
	d := time.Since(start)
	fmt.Printf("%s %d bytes in %.2f s: %.0f MB/s, peak RSS %s\n", verb, n, d.Seconds(), float64(n)/d.Seconds()/1e6, peakRSS())
	return nil
}

// peakRSS is VmHWM of this process.
func peakRSS() string {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
