package compose_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// goTool returns the path of the go command, for the tests that build the
// programs of the module to see what they link. Without it they skip, or
// fail with CI=true.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no go command: %v", err)
		}
		t.Skipf("no go command: %v", err)
	}
	return p
}

// TestOpenNamesMissingImport runs a program that imports compose and no
// driver package (this test binary links them all): a scheme of the
// module's drivers names the import that registers it, file:// and mem://
// need none, and an unknown scheme lists the registered ones.
func TestOpenNamesMissingImport(t *testing.T) {
	const all = " (or import github.com/kvcompose/compose/drivers/all)"
	cases := []struct{ url, want string }{
		{"s3:/bucket/store", `parse url "s3:/bucket/store": invalid url: import github.com/kvcompose/compose/drivers/s3 to open s3: URLs` + all},
		{"B2:/bucket/store", `parse url "B2:/bucket/store": invalid url: import github.com/kvcompose/compose/drivers/s3 to open b2: URLs` + all},
		{"sftp://host/store", `parse url "sftp://host/store": invalid url: import github.com/kvcompose/compose/drivers/sftp to open sftp: URLs` + all},
		{"rclone:remote:store", `parse url "rclone:remote:store": invalid url: import github.com/kvcompose/compose/drivers/rclone to open rclone: URLs` + all},
		{"http://host/", `parse url "http://host/": invalid url: import github.com/kvcompose/compose/drivers/rest to open http: URLs` + all},
		{"https://host/", `parse url "https://host/": invalid url: import github.com/kvcompose/compose/drivers/rest to open https: URLs` + all},
		{"rest:///store", `parse url "rest:///store": invalid url: import github.com/kvcompose/compose/drivers/rest to open rest: URLs` + all},
		{"mem://x", "ok"},
		{"file:///tmp/kvcompose/store", "ok"},
		{"ftp://host/store", `parse url "ftp://host/store": invalid url: unknown scheme "ftp" (registered: file, mem)`},
	}
	args := []string{"run", "./testdata/unlinked"}
	for _, c := range cases {
		args = append(args, c.url)
	}
	out, err := exec.Command(goTool(t), args...).Output()
	require.NoError(t, err, "go run ./testdata/unlinked: %s", stderr(err))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, len(cases), "%s", out)
	for i, c := range cases {
		require.Equal(t, c.want, lines[i], c.url)
	}
}

// TestLinkedDrivers checks what the programs of the module link: one that
// opens only file:// or mem:// URLs links no network driver and none of
// their dependencies, and the command links every driver.
func TestLinkedDrivers(t *testing.T) {
	network := []string{
		"github.com/kvcompose/compose/drivers/rclone",
		"github.com/kvcompose/compose/drivers/rest",
		"github.com/kvcompose/compose/drivers/s3",
		"github.com/kvcompose/compose/drivers/sftp",
		"github.com/minio/minio-go/v7",
		"github.com/pkg/sftp",
		"golang.org/x/crypto/ssh",
	}
	local := []string{
		"github.com/kvcompose/compose",
		"github.com/kvcompose/compose/drivers/memory",
		"github.com/kvcompose/compose/drivers/posixfs",
	}
	for _, tc := range []struct {
		pkg     string
		has     []string
		hasNone []string
	}{
		{"./examples/memonly", local, network},
		{"./examples/fileonly", local, network},
		{"./testdata/unlinked", local, network},
		{"./cmd/kvcompose", append(local, network...), nil},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command(goTool(t), "list", "-deps", tc.pkg).Output()
			require.NoError(t, err, "go list -deps %s: %s", tc.pkg, stderr(err))
			deps := map[string]bool{}
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			for _, p := range tc.has {
				require.True(t, deps[p], "%s does not link %s", tc.pkg, p)
			}
			for _, p := range tc.hasNone {
				require.False(t, deps[p], "%s links %s", tc.pkg, p)
			}
		})
	}
}

// stderr returns what a command that failed wrote to its standard error.
func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
