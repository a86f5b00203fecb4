package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/kv"
)

// TestQuotaAfterKills serves a store with a quota, runs sixteen writers
// against it (stores of new and existing names, deletes, stores the quota
// refuses), and kills the server with SIGKILL four times while they
// write, restarting it each time. Then the quota usage the server reports
// equals the bytes the store holds, and so does the record after a clean
// stop. The record used to keep the space reserved for stores in flight
// and never to scan again: +64 MiB after four kills.
//
//	go test -run TestQuotaAfterKills -v ./cmd/kvcompose/
func TestQuotaAfterKills(t *testing.T) {
	const (
		writers   = 16
		kills     = 4
		limit     = 24 << 20
		perRound  = 300 // successful calls before each kill
		maxValue  = 64 << 10
		nameSpace = 64 // names per writer
	)
	_, dir := newStore(t)
	port := freePort(t)
	for round := range kills + 1 {
		srv := startQuotaServe(t, dir, port, "--quota", strconv.Itoa(limit))
		var (
			done    atomic.Int64
			stop    atomic.Bool
			reached = make(chan struct{})
			once    sync.Once
			wg      sync.WaitGroup
		)
		for w := range writers {
			wg.Go(func() {
				d, err := rest.FromURL(srv.url)
				if err != nil {
					t.Error(err)
					return
				}
				ctx := context.Background()
				if err := d.Open(ctx); err != nil {
					t.Error(err)
					return
				}
				defer d.Close(ctx)
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for !stop.Load() {
					name := fmt.Sprintf("data/w%02d/%03d", w, r.IntN(nameSpace))
					var err error
					if r.IntN(4) == 0 {
						err = d.Delete(ctx, name)
					} else {
						err = d.Store(ctx, name, make([]byte, 1+r.IntN(maxValue)))
					}
					if err == nil || errors.Is(err, kv.ErrQuotaExceeded) || errors.Is(err, kv.ErrNotFound) {
						if done.Add(1) >= perRound {
							once.Do(func() { close(reached) })
						}
					}
				}
			})
		}
		<-reached
		if round < kills {
			srv.kill(t) // while the writers write
			stop.Store(true)
			wg.Wait()
			continue
		}
		stop.Store(true)
		wg.Wait()
		q := srv.quota(t)
		held := heldBytes(t, dir)
		t.Logf("after %d kills under %d writers: quota usage %d, the store holds %d (limit %d); %d temporaries of killed stores left, fresh, for a sweep once stale",
			kills, writers, q.Usage, held, limit, temporaries(t, dir))
		if q.Usage != held {
			t.Errorf("quota usage %d, the store holds %d", q.Usage, held)
		}
		srv.interrupt(t)
		record, err := os.ReadFile(dir + "/quota.hid")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := strconv.ParseInt(string(record), 10, 64); err != nil || n != held {
			t.Errorf("record after a clean stop: %q, want %d", record, held)
		}
	}
}

// serveProc is a `kvcompose serve` process.
type serveProc struct {
	cmd *exec.Cmd
	url string
}

// startQuotaServe starts `kvcompose serve` on the store dir on port with the
// extra flags and waits until it listens.
func startQuotaServe(t *testing.T, dir string, port int, flags ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--port", strconv.Itoa(port), "--backend", "FILE:" + dir}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	listening := regexp.MustCompile(`url=(http://[0-9.:]+/)`)
	lines := bufio.NewScanner(stderr)
	s := &serveProc{cmd: cmd}
	for s.url == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			s.url = m[1]
		}
	}
	if s.url == "" {
		t.Fatal("kvcompose serve did not say where it listens")
	}
	go io.Copy(io.Discard, stderr)
	return s
}

// kill kills the process with SIGKILL and waits for it.
func (s *serveProc) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

// interrupt stops the process as Ctrl-C does and waits for it.
func (s *serveProc) interrupt(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve after an interrupt: %v", err)
	}
}

// quota asks the server for its quota.
func (s *serveProc) quota(t *testing.T) kv.Quota {
	t.Helper()
	d, err := rest.FromURL(s.url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	q, err := d.Quota(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// heldBytes returns the bytes of the items of the posixfs store dir, as a
// scan through the driver sees them (temporaries and hidden files are no
// items).
func heldBytes(t *testing.T, dir string) int64 {
	t.Helper()
	d, err := posixfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	var total int64
	dirs := []string{""}
	for len(dirs) > 0 {
		name := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		for it, err := range d.List(ctx, name) {
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case it.Directory && name == "":
				dirs = append(dirs, it.Name)
			case it.Directory:
				dirs = append(dirs, name+"/"+it.Name)
			default:
				total += it.Size
			}
		}
	}
	return total
}

// freePort returns a TCP port of 127.0.0.1 that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// temporaries counts the files ending in .tmp below dir.
func temporaries(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(e.Name(), kv.TempSuffix) {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
