package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/kvcompose/compose/internal/sshdtest"
)

// stdioRequests is a session as borgstore's stdio client writes it (no
// Host header): create the store, store an archive, delete it.
func stdioRequests(item string) string {
	a := "Accept: application/vnd.x.borgstore.rest.v1\r\nConnection: keep-alive\r\n"
	return "POST /?cmd=create HTTP/1.1\r\n" + a + "Content-Length: 0\r\n\r\n" +
		"POST /archives/" + item + " HTTP/1.1\r\n" + a + "Content-Length: 3\r\n\r\nabc" +
		"DELETE /archives/" + item + " HTTP/1.1\r\n" + a + "Content-Length: 0\r\n\r\n"
}

// statuses reads the statuses of the responses in out.
func statuses(t *testing.T, out string) []int {
	t.Helper()
	var got []int
	br := bufio.NewReader(strings.NewReader(out))
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return got
		}
		io.Copy(io.Discard, resp.Body)
		got = append(got, resp.StatusCode)
	}
}

// forcedDirs makes root/allowed (a directory the restrictions name),
// root/outside, root/allowed/link -> root/outside and root/allowed/sub.
func forcedDirs(t *testing.T) (root string) {
	t.Helper()
	root = t.TempDir()
	for _, d := range []string{"allowed/sub", "outside"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "allowed", "link")); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestServeForcedCommand runs `kvcompose serve` as sshd runs a forced
// command: the operator's arguments, the client's command in
// SSH_ORIGINAL_COMMAND. Only the client's --backend (and log options) are
// taken, checked against the restrictions with symlinks and ".."
// resolved; permissions and restrictions stay the operator's.
func TestServeForcedCommand(t *testing.T) {
	root := forcedDirs(t)
	repo := filepath.Join(root, "allowed", "repo")
	// The operator creates the repositories: no-delete and read-only
	// may not create one.
	ok(t, "", "create", "file://"+repo)
	ok(t, "", "create", "file://"+root+"/allowed/ro")
	noDelete := []string{"serve", "--rest", "--restrict-to-repository", repo, "--permissions", "no-delete"}
	underAllowed := []string{"serve", "--rest", "--restrict-to-path", filepath.Join(root, "allowed")}
	for i, c := range []struct {
		name   string
		forced []string
		client string
		env    []string
		want   []int  // statuses; nil: refused before serving
		errMsg string // in stderr when refused
	}{
		{"allowed repository", noDelete, "kvcompose serve --rest --backend FILE:" + repo, nil, []int{403, 200, 403}, ""},
		{"allowed, through sub/..", noDelete, "kvcompose serve --rest --backend FILE:" + root + "/allowed/sub/../repo", nil, []int{403, 200, 403}, ""},
		{"borgstore-server-rest form, env words dropped", noDelete, "BORG_X=1 borgstore-server-rest --stdio --info --backend=FILE:" + repo, nil, []int{403, 200, 403}, ""},
		{"a path outside", noDelete, "kvcompose serve --rest --backend FILE:" + root + "/outside/repo", nil, nil, "not allowed"},
		{"a sibling with the same prefix", underAllowed, "kvcompose serve --rest --backend FILE:" + root + "/allowed2/repo", nil, nil, "not allowed"},
		{"a symlink leading outside", underAllowed, "kvcompose serve --rest --backend FILE:" + root + "/allowed/link/repo", nil, nil, "not allowed"},
		{"dot-dot leading outside", underAllowed, "kvcompose serve --rest --backend FILE:" + root + "/allowed/../outside/repo", nil, nil, "not allowed"},
		{"dot-dot after a symlink", underAllowed, "kvcompose serve --rest --backend FILE:" + root + "/allowed/link/../outside/repo", nil, nil, "not allowed"},
		{"under the path", underAllowed, "kvcompose serve --rest --backend FILE:" + root + "/allowed/sub/repo", nil, []int{200, 200, 200}, ""},
		{"the client asks for all permissions", noDelete, "kvcompose serve --rest --permissions all --backend FILE:" + repo, nil, nil, "may not choose --permissions"},
		{"the client sets its own restriction", noDelete, "kvcompose serve --rest --restrict-to-path / --backend FILE:" + root + "/outside/repo", nil, nil, "may not choose --restrict-to-path"},
		{"the client asks for a quota", noDelete, "kvcompose serve --rest --quota=-1 --backend FILE:" + repo, nil, nil, "may not choose --quota"},
		{"the client runs something else", noDelete, "sh -c 'cat /etc/passwd'", nil, nil, "may only serve a store"},
		{"a URL, not a path", noDelete, "kvcompose serve --rest --backend mem://x", nil, nil, "only a local path"},
		{"BORG_REPO_PERMISSIONS", []string{"serve", "--rest", "--restrict-to-path", root + "/allowed"},
			"kvcompose serve --rest --backend FILE:" + root + "/allowed/ro", []string{"BORG_REPO_PERMISSIONS=read-only"}, []int{403, 403, 403}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := append([]string{"SSH_ORIGINAL_COMMAND=" + c.client}, c.env...)
			r := kvc(t, stdioRequests(fmt.Sprintf("a%d", i)), env, c.forced...)
			if c.want == nil {
				if r.code == 0 || !strings.Contains(r.stderr, c.errMsg) || r.stdout != "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want a refusal saying %q", r.code, r.stdout, r.stderr, c.errMsg)
				}
				if _, err := os.Stat(filepath.Join(root, "outside", "repo")); !os.IsNotExist(err) {
					t.Errorf("a store was made outside: %v", err)
				}
				return
			}
			if got := statuses(t, r.stdout); fmt.Sprint(got) != fmt.Sprint(c.want) || r.code != 0 {
				t.Errorf("statuses %v, exit %d, stderr %q; want %v", got, r.code, r.stderr, c.want)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "outside")); len(entries) != 0 {
		t.Errorf("outside holds %v", entries)
	}
}

// TestResolvePath resolves symlinks and ".." as the kernel walks a path,
// keeping what does not exist yet.
func TestResolvePath(t *testing.T) {
	root := forcedDirs(t)
	root, _ = filepath.EvalSymlinks(root)
	for in, want := range map[string]string{
		root + "/allowed/repo":              root + "/allowed/repo",
		root + "/allowed/link/repo":         root + "/outside/repo",
		root + "/allowed/link/../x":         root + "/x",
		root + "/allowed/./sub//../repo/":   root + "/allowed/repo",
		root + "/allowed/new/../link/r":     root + "/outside/r",
		root + "/allowed/../../" + "../../": "/",
	} {
		if got, err := resolvePath(in); err != nil || got != want {
			t.Errorf("resolvePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	loop := filepath.Join(root, "loop")
	os.Symlink(loop, loop)
	if _, err := resolvePath(loop + "/x"); err == nil {
		t.Error("a symlink loop resolved")
	}
}

// TestServeForcedSSHD runs the forced command through a real sshd: a key
// whose authorized_keys line forces `kvcompose serve --rest
// --restrict-to-repository REPO --permissions no-delete`.
func TestServeForcedSSHD(t *testing.T) {
	s := sshdtest.Start(t)
	root := forcedDirs(t)
	repo := filepath.Join(root, "allowed", "repo")
	ok(t, "", "create", "file://"+repo)
	key, err := os.ReadFile(filepath.Join(s.Dir, "authorized_keys"))
	if err != nil {
		t.Fatal(err)
	}
	forced := fmt.Sprintf(`command="%s serve --rest --restrict-to-repository %s --permissions no-delete",restrict `, bin, repo)
	if err := os.WriteFile(filepath.Join(s.Dir, "authorized_keys"), append([]byte(forced), key...), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := ssh.Dial("tcp", s.Addr(), s.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	run := func(command string) (stdout, stderr string, err error) {
		sess, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		var out, errOut bytes.Buffer
		sess.Stdin, sess.Stdout, sess.Stderr = strings.NewReader(stdioRequests("x")), &out, &errOut
		err = sess.Run(command)
		return out.String(), errOut.String(), err
	}
	out, errOut, err := run("kvcompose serve --rest --backend FILE:" + repo)
	if got := statuses(t, out); fmt.Sprint(got) != "[403 200 403]" || err != nil {
		t.Errorf("allowed repository: statuses %v, %v, stderr %q; want [403 200 403]", got, err, errOut)
	}
	for _, command := range []string{
		"kvcompose serve --rest --backend FILE:" + root + "/outside/repo",
		"kvcompose serve --rest --backend FILE:" + root + "/allowed/link/repo",
		"kvcompose serve --rest --permissions all --backend FILE:" + repo,
		"rm -rf " + root,
	} {
		out, errOut, err := run(command)
		if err == nil || out != "" || errOut == "" {
			t.Errorf("%q: %v, stdout %q, stderr %q; want a refusal", command, err, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "outside")); len(entries) != 0 {
		t.Errorf("outside holds %v", entries)
	}
}
