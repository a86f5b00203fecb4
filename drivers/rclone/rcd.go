package rclone

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/internal/tail"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// server is one running "rclone rcd" child and the HTTP client that talks
// to it.
type server struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and was reaped
	waitErr error         // the exit status, set before done is closed
	stderr  *tail.Writer
	base    string // http://127.0.0.1:port
	user    string
	pass    string
	client  *http.Client
	version string

	// Set by loadFeatures on Open.
	bucketBased bool // uploads are atomic, directories do not exist
}

// binaryPath resolves the rclone executable: the option, $RCLONE_BINARY,
// or "rclone" in PATH.
func binaryPath(cfg config) (string, error) {
	bin := cfg.binary
	if bin == "" {
		bin = os.Getenv("RCLONE_BINARY")
	}
	if bin == "" {
		bin = "rclone"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("rclone binary %q not found (install rclone >= %d.%d, or set RCLONE_BINARY): %w",
			bin, minVersion[0], minVersion[1], err)
	}
	return path, nil
}

// startServer starts rcd and waits until it answers core/version. If
// checkVersion is true, an rclone older than MinVersion is an error. On
// error no process is left running.
func startServer(ctx context.Context, op kv.Op, cfg config, checkVersion bool) (*server, error) {
	bin, err := binaryPath(cfg)
	if err != nil {
		return nil, backendkit.NewError(op, "", nil, err)
	}
	var lastErr error
	for range 3 { // a new port if another process took ours meanwhile
		s, err := launch(ctx, bin, cfg)
		if err != nil {
			return nil, backendkit.NewError(op, "", kv.ErrConnection, err)
		}
		err = s.waitReady(ctx, cfg)
		if err == nil && checkVersion {
			err = checkMinVersion(s.version)
		}
		if err == nil {
			return s, nil
		}
		s.stop(cfg.stopTimeout)
		if ctx.Err() != nil {
			return nil, backendkit.NewError(op, "", nil, err)
		}
		lastErr = err
		if !strings.Contains(s.stderr.String(), "address already in use") {
			break
		}
	}
	if errors.Is(lastErr, errTooOld) {
		return nil, backendkit.NewError(op, "", kv.ErrUnsupported, lastErr)
	}
	return nil, backendkit.NewError(op, "", kv.ErrConnection, lastErr)
}

// launch starts the rcd process on a free port with new credentials.
func launch(ctx context.Context, bin string, cfg config) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	user, pass := randomToken(), randomToken()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"rcd", "--rc-addr", addr, "--rc-serve", "--ignore-times"}
	if cfg.configFile != "" {
		args = append(args, "--config", cfg.configFile)
	}
	args = append(args, cfg.extraArgs...)
	cmd := exec.Command(bin, args...)
	// The credentials travel in the environment, which only the user can
	// read, never on the command line. Inherited RCLONE_RC_* settings are
	// dropped so that nobody can switch authentication off.
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(strings.ToUpper(kv), "RCLONE_RC_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "RCLONE_RC_USER="+user, "RCLONE_RC_PASS="+pass)
	stderr := &tail.Writer{Max: 4096}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if cfg.logger != nil && cfg.logger != discard {
		out := io.MultiWriter(stderr, &lineLog{log: cfg.logger})
		cmd.Stdout, cmd.Stderr = out, out
	}
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &server{
		cmd: cmd, done: make(chan struct{}), stderr: stderr,
		base: "http://" + addr, user: user, pass: pass,
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     60 * time.Second,
			DisableCompression:  true,
		}},
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// waitReady polls core/version until rcd answers, the process exits, ctx
// ends or the start timeout passes.
func (s *server) waitReady(ctx context.Context, cfg config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.startTimeout)
	defer cancel()
	// The waits between polls end early when the process exits.
	waits, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-s.done:
			stop()
		case <-waits.Done():
		}
	}()
	polls := readyPolls.Start()
	for {
		var out struct {
			Version    string `json:"version"`
			Decomposed []int  `json:"decomposed"`
		}
		err := s.call(ctx, config{}, "core/version", nil, &out)
		if err == nil {
			s.version = out.Version
			return nil
		}
		var re *rcError
		if errors.As(err, &re) { // it answered, but not as expected
			return fmt.Errorf("rclone rcd answered core/version with: %w", err)
		}
		if polls.Wait(waits) != nil {
			if s.exited() {
				return fmt.Errorf("rclone rcd exited before answering (%v): %s", s.waitErr, s.stderr.String())
			}
			return fmt.Errorf("waiting for rclone rcd to answer: %w (last error: %v)", ctx.Err(), err)
		}
	}
}

// readyPolls is the schedule of waitReady: 2 ms between the first polls,
// doubling up to 50 ms.
var readyPolls = backoff.Policy{Initial: 2 * time.Millisecond, Max: 50 * time.Millisecond}

var errTooOld = errors.New("rclone is too old")

// checkMinVersion returns an errTooOld error unless v ("v1.60.1-DEV") is
// at least MinVersion.
func checkMinVersion(v string) error {
	got, ok := parseVersion(v)
	if !ok {
		return fmt.Errorf("cannot parse rclone version %q", v)
	}
	for i := range got {
		if got[i] != minVersion[i] {
			if got[i] < minVersion[i] {
				return fmt.Errorf("%w: found %s, need v%d.%d.%d or newer", errTooOld, v, minVersion[0], minVersion[1], minVersion[2])
			}
			return nil
		}
	}
	return nil
}

// parseVersion parses "v1.60.1", "v1.60.1-DEV" or "v1.61.0-beta.6512".
func parseVersion(v string) (out [3]int, ok bool) {
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "v"), "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// loadFeatures asks rcd what the remote can do.
func (s *server) loadFeatures(ctx context.Context, cfg config, remote string) error {
	var out struct {
		Features map[string]bool `json:"Features"`
	}
	if err := s.call(ctx, cfg, "operations/fsinfo", params{"fs": remote}, &out); err != nil {
		return err
	}
	s.bucketBased = out.Features["BucketBased"] || !out.Features["CanHaveEmptyDirectories"]
	return nil
}

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, kills the process if it has not exited after
// timeout, and waits until it is reaped. A process that had already died
// is not an error.
func (s *server) stop(timeout time.Duration) error {
	s.client.CloseIdleConnections()
	if s.exited() {
		return nil
	}
	if err := terminate(s.cmd.Process); err != nil && !s.exited() {
		s.cmd.Process.Kill()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.done:
		return nil
	case <-t.C:
	}
	s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("rclone rcd (pid %d) did not stop within %v of SIGTERM and was killed", s.cmd.Process.Pid, timeout)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
