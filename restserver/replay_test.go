package restserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/restserver"
)

// The recorded Borg 2 session (testdata/borg2-stdio/README.md): every
// request as borgstore 0.6.0's stdio client wrote it, every response as
// borgstore's own server gave it.
const replayDir = "testdata/borg2-stdio"

// replayStep is one line of sessions.jsonl.
type replayStep struct {
	Session   string            `json:"session"`
	Seq       int               `json:"seq"`
	Method    string            `json:"method"`
	Target    string            `json:"target"`
	ReqHeader map[string]string `json:"request_headers"`
	Status    int               `json:"status"`
	ReqOffset int               `json:"req_offset"`
}

// replayResponse is one response, recorded or replayed.
type replayResponse struct {
	status int
	header http.Header
	body   []byte
}

// replaySession is one recorded stream: its requests and responses.
type replaySession struct {
	name   string
	steps  []replayStep
	req    []byte // the request stream as recorded
	wanted []replayResponse
}

// requests returns the request stream cut into its requests.
func (s *replaySession) requests() [][]byte {
	out := make([][]byte, len(s.steps))
	for i, st := range s.steps {
		end := len(s.req)
		if i+1 < len(s.steps) {
			end = s.steps[i+1].ReqOffset
		}
		out[i] = s.req[st.ReqOffset:end]
	}
	return out
}

// loadReplay reads the recorded sessions in order.
func loadReplay(t *testing.T) []*replaySession {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(replayDir, "sessions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var sessions []*replaySession
	for line := range strings.Lines(string(index)) {
		var st replayStep
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatalf("sessions.jsonl: %v", err)
		}
		if len(sessions) == 0 || sessions[len(sessions)-1].name != st.Session {
			sessions = append(sessions, &replaySession{name: st.Session})
		}
		s := sessions[len(sessions)-1]
		s.steps = append(s.steps, st)
	}
	total := 0
	for _, s := range sessions {
		if s.req, err = os.ReadFile(filepath.Join(replayDir, s.name+".req")); err != nil {
			t.Fatal(err)
		}
		resp, err := os.ReadFile(filepath.Join(replayDir, s.name+".resp"))
		if err != nil {
			t.Fatal(err)
		}
		if s.wanted, err = readResponses(bytes.NewReader(resp), s.steps); err != nil {
			t.Fatalf("%s.resp: %v", s.name, err)
		}
		total += len(s.steps)
	}
	if len(sessions) != 14 || total != 347 {
		t.Fatalf("%d sessions with %d requests, want 14 with 347", len(sessions), total)
	}
	return sessions
}

// readResponses reads one response per step from r.
func readResponses(r io.Reader, steps []replayStep) ([]replayResponse, error) {
	br := bufio.NewReader(r)
	out := make([]replayResponse, 0, len(steps))
	for _, st := range steps {
		resp, err := http.ReadResponse(br, &http.Request{Method: st.Method})
		if err != nil {
			return out, fmt.Errorf("response %d (%s %s): %w", st.Seq, st.Method, st.Target, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return out, fmt.Errorf("response %d body: %w", st.Seq, err)
		}
		out = append(out, replayResponse{status: resp.StatusCode, header: resp.Header, body: body})
	}
	return out, nil
}

// compareReplay checks got against the recorded responses of s, as the
// README of the recording says they can be compared.
func compareReplay(t *testing.T, s *replaySession, got []replayResponse) {
	t.Helper()
	if len(got) != len(s.wanted) {
		t.Errorf("%s: %d responses, want %d", s.name, len(got), len(s.wanted))
	}
	for i := range min(len(got), len(s.wanted)) {
		st, g, w := s.steps[i], got[i], s.wanted[i]
		where := fmt.Sprintf("%s #%d %s %s", s.name, st.Seq, st.Method, st.Target)
		if g.status != w.status {
			t.Errorf("%s: status %d, want %d (%s)", where, g.status, w.status, g.body)
			continue
		}
		if w.status >= 300 {
			continue // error text and bodies differ by nature
		}
		if ct := w.header.Get("Content-Type"); ct != "" && g.header.Get("Content-Type") != ct {
			t.Errorf("%s: Content-Type %q, want %q", where, g.header.Get("Content-Type"), ct)
		}
		path, _, _ := strings.Cut(st.Target, "?")
		if st.Method == http.MethodGet && strings.HasSuffix(path, "/") {
			if g, w := listingSet(t, where, g.body), listingSet(t, where, w.body); !slices.Equal(g, w) {
				t.Errorf("%s: listing\n%v\nwant\n%v", where, g, w)
			}
			continue
		}
		if gl, wl := g.header.Get("Content-Length"), w.header.Get("Content-Length"); gl != wl {
			t.Errorf("%s: Content-Length %q, want %q", where, gl, wl)
		}
		if !bytes.Equal(g.body, w.body) {
			t.Errorf("%s: body of %d bytes differs from the recorded %d bytes", where, len(g.body), len(w.body))
		}
	}
}

// listingSet is a listing as a sorted set of name, size and kind, sizes of
// directories left out (they depend on the file system), atime ignored.
func listingSet(t *testing.T, where string, body []byte) []string {
	t.Helper()
	var entries []restproto.Entry
	if err := json.Unmarshal(body, &entries); err != nil {
		t.Errorf("%s: listing %q: %v", where, body, err)
		return nil
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Directory {
			e.Size = -1
		}
		out = append(out, fmt.Sprintf("%s %d %v", e.Name, e.Size, e.Directory))
	}
	slices.Sort(out)
	return out
}

// replayer answers the request stream of one session against the store
// at dir and returns the raw response stream.
type replayer func(t *testing.T, dir string, s *replaySession) []replayResponse

// runReplay replays every session in order against one fresh store.
func runReplay(t *testing.T, serve replayer) {
	store := filepath.Join(t.TempDir(), "repo")
	for _, s := range loadReplay(t) {
		compareReplay(t, s, serve(t, store, s))
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("the store is still there after repo-delete: %v", err)
	}
}

// stdioResponses parses the output of a stdio session.
func stdioResponses(t *testing.T, s *replaySession, out []byte) []replayResponse {
	t.Helper()
	got, err := readResponses(bytes.NewReader(out), s.steps)
	if err != nil {
		t.Errorf("%s: %v", s.name, err)
	}
	return got
}

// TestReplayBorg2Stdio replays the recorded Borg 2 session through
// ServeStdio, a new Handler per stream as a new process per ssh session.
func TestReplayBorg2Stdio(t *testing.T) {
	runReplay(t, func(t *testing.T, dir string, s *replaySession) []replayResponse {
		var out bytes.Buffer
		h := restserver.New(newPosix(t, dir))
		if err := restserver.ServeStdio(context.Background(), h, bytes.NewReader(s.req), &out); err != nil {
			t.Errorf("%s: ServeStdio: %v", s.name, err)
		}
		return stdioResponses(t, s, out.Bytes())
	})
}

// TestReplayBorg2Process replays the recorded Borg 2 session through
// `kvcompose serve --rest`, as Borg 2 runs it over ssh.
func TestReplayBorg2Process(t *testing.T) {
	bin := kvcomposeBinary(t)
	runReplay(t, func(t *testing.T, dir string, s *replaySession) []replayResponse {
		cmd := exec.Command(bin, "serve", "--rest", "--backend", "FILE:"+dir)
		cmd.Stdin = bytes.NewReader(s.req)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil || errOut.Len() > 0 {
			t.Errorf("%s: kvcompose serve: %v, stderr %q", s.name, err, errOut.String())
		}
		return stdioResponses(t, s, out.Bytes())
	})
}

// TestReplayBorg2TCP replays the recorded requests over TCP, with a Host
// header added, one connection per recorded stream.
func TestReplayBorg2TCP(t *testing.T) {
	runReplay(t, func(t *testing.T, dir string, s *replaySession) []replayResponse {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- restserver.Serve(ctx, ln, restserver.New(newPosix(t, dir)), "", "") }()
		defer func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("%s: Serve: %v", s.name, err)
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		br := bufio.NewReader(c)
		var got []replayResponse
		for i, req := range s.requests() {
			line, rest, _ := bytes.Cut(req, []byte("\r\n"))
			withHost := slices.Concat(line, []byte("\r\nHost: replay\r\n"), rest)
			if _, err := c.Write(withHost); err != nil {
				t.Fatalf("%s #%d: %v", s.name, i+1, err)
			}
			r, err := readResponses(br, s.steps[i:i+1])
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			got = append(got, r...)
		}
		return got
	})
}

// kvcomposeBinary builds cmd/kvcompose once for the tests that run it as
// a process.
func kvcomposeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kvcompose-restserver-test-")
		if err != nil {
			buildErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		builtBin = filepath.Join(dir, "kvcompose")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/kvcompose")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/kvcompose: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}
