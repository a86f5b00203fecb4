// Command sftpbench measures the sftp driver against a local OpenSSH sshd
// that it starts itself (as the tests do), in one run:
//
//   - throughput storing and loading N values of SIZE bytes, one after the
//     other, against OpenSSH's own sftp client putting and getting the same
//     files (sftp -b);
//   - aggregate stores per second of 64 KiB values from 1 and from 8
//     goroutines sharing one connection;
//   - Create of a store nested with "data/": [2], which pre-creates 65,536
//     directories, and Destroy of it (through nesting and by the driver
//     alone).
//
// Usage:
//
//	go run ./cmd/sftpbench [-n 256] [-size 1048576] [-ops 2000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
)

func main() {
	n := flag.Int("n", 256, "values for the throughput test")
	size := flag.Int("size", 1<<20, "bytes per value for the throughput test")
	ops := flag.Int("ops", 2000, "stores of 64 KiB for the concurrency test")
	flag.Parse()
	if err := run(*n, *size, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "sftpbench:", err)
		os.Exit(1)
	}
}

func run(n, size, ops int) error {
	ctx := context.Background()
	top, err := os.MkdirTemp("", "sftpbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(top)
	srv, err := sshdtest.StartDir(top)
	if err != nil {
		return err
	}
	defer srv.Stop()
	open := func(name string, create bool, levels map[string][]int) (kv.Backend, error) {
		d, err := sftp.FromURL("sftp://kvtest/"+filepath.Join(top, name),
			sftp.WithSSHConfig(srv.SSHConfig), sftp.WithKnownHosts(srv.KnownHosts))
		if err != nil {
			return nil, err
		}
		var b kv.Backend = d
		if levels != nil {
			if b, err = nesting.New(d, levels); err != nil {
				return nil, err
			}
		}
		if create {
			if err := b.Create(ctx); err != nil {
				return nil, err
			}
		}
		return b, b.Open(ctx)
	}
	fmt.Printf("sftpbench: OpenSSH sshd on %s (%s)\n\n", srv.Addr(), sshVersion())

	// Throughput against OpenSSH's sftp client.
	values := make([][]byte, n)
	local := filepath.Join(top, "local")
	if err := os.MkdirAll(local, 0o755); err != nil {
		return err
	}
	for i := range values {
		values[i] = make([]byte, size)
		for j := range values[i] {
			values[i][j] = byte(i + j*7)
		}
		if err := os.WriteFile(filepath.Join(local, fmt.Sprintf("f%04d", i)), values[i], 0o600); err != nil {
			return err
		}
	}
	b, err := open("throughput", true, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	for i, v := range values {
		if err := b.Store(ctx, fmt.Sprintf("data/f%04d", i), v); err != nil {
			return err
		}
	}
	ourPut := time.Since(start)
	start = time.Now()
	for i := range values {
		if _, err := b.Load(ctx, fmt.Sprintf("data/f%04d", i)); err != nil {
			return err
		}
	}
	ourGet := time.Since(start)
	b.Close(ctx)
	sshPut, sshGet, err := openSSH(srv, top, local, n)
	if err != nil {
		return err
	}
	mb := float64(n*size) / 1e6
	fmt.Printf("%d values of %d bytes, one after the other (MB/s)\n", n, size)
	fmt.Printf("  store: kvcompose %7.1f   OpenSSH sftp put %7.1f   ratio %.2fx\n", mb/ourPut.Seconds(), mb/sshPut.Seconds(), sshPut.Seconds()/ourPut.Seconds())
	fmt.Printf("  load:  kvcompose %7.1f   OpenSSH sftp get %7.1f   ratio %.2fx\n\n", mb/ourGet.Seconds(), mb/sshGet.Seconds(), sshGet.Seconds()/ourGet.Seconds())

	// Concurrency over one connection.
	b, err = open("concurrency", true, nil)
	if err != nil {
		return err
	}
	value := make([]byte, 64<<10)
	fmt.Printf("stores of 64 KiB through one connection\n")
	var one float64
	for _, g := range []int{1, 8} {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, g)
		for w := range g {
			wg.Go(func() {
				for i := w; i < ops; i += g {
					if err := b.Store(ctx, fmt.Sprintf("data/%02d/%06d", w, i), value); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		rate := float64(ops) / time.Since(start).Seconds()
		if g == 1 {
			one = rate
		}
		fmt.Printf("  %d goroutine(s): %7.0f stores/s  (%.2fx one goroutine)\n", g, rate, rate/one)
	}
	b.Close(ctx)

	// Pre-creation of nesting level 2.
	start = time.Now()
	b, err = open("nested", true, map[string][]int{"data/": {2}})
	if err != nil {
		return err
	}
	created := time.Since(start)
	b.Close(ctx)
	fmt.Printf("\nCreate with data/: [2] (65,536 directories): %.2f s\n", created.Seconds())

	// Destroy of that store: through the nesting layer, which empties the
	// directory tree concurrently, and by the driver alone (pkg/sftp's
	// RemoveAll, one call after the other), as before.
	start = time.Now()
	if err := b.Destroy(ctx); err != nil {
		return err
	}
	concurrent := time.Since(start)
	b, err = open("nested2", true, map[string][]int{"data/": {2}})
	if err != nil {
		return err
	}
	b.Close(ctx)
	start = time.Now()
	if err := b.(kv.Unwrapper).Unwrap().Destroy(ctx); err != nil {
		return err
	}
	sequential := time.Since(start)
	fmt.Printf("Destroy of it: %.2f s through nesting (concurrent), %.2f s by the driver alone (sequential)\n",
		concurrent.Seconds(), sequential.Seconds())
	return nil
}

// openSSH times OpenSSH's sftp client putting the n local files into a
// remote directory and getting them back.
func openSSH(srv *sshdtest.Server, top, local string, n int) (put, get time.Duration, err error) {
	remote := filepath.Join(top, "openssh")
	back := filepath.Join(top, "back")
	for _, d := range []string{remote, back} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, err
		}
	}
	batch := func(verb, from, to string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s %s/f%04d %s/f%04d\n", verb, from, i, to, i)
		}
		return b.String()
	}
	timed := func(script string) (time.Duration, error) {
		file := filepath.Join(top, "batch")
		if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
			return 0, err
		}
		cmd := exec.Command("sftp", "-q", "-b", file, "-P", strconv.Itoa(srv.Port), "-i", srv.KeyFile,
			"-o", "UserKnownHostsFile="+srv.KnownHosts, "-o", "BatchMode=yes",
			srv.User+"@"+srv.Host)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("sftp -b: %v: %s", err, out)
		}
		return time.Since(start), nil
	}
	if put, err = timed(batch("put", local, remote)); err != nil {
		return 0, 0, err
	}
	get, err = timed(batch("get", remote, back))
	return put, get, err
}

func sshVersion() string {
	out, _ := exec.Command("ssh", "-V").CombinedOutput()
	return strings.TrimSpace(string(out))
}
