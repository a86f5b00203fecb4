package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDestroyRefusesNonStore runs destroy, with and without --yes, on
// directories that no store made: it fails, names what it found, asks
// nothing and removes nothing.
func TestDestroyRefusesNonStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		entry string
	}{
		{"home", []string{".bashrc", ".ssh/known_hosts", "Documents/cv.odt"}, `".bashrc"`},
		{"etc", []string{"hosts", "passwd", "ssh/sshd_config"}, `"hosts"`},
		{"a file in a namespace dir", []string{"data/00/", "data/Report.PDF"}, `"data/Report.PDF"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f)
				if strings.HasSuffix(f, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("mine"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			u := "file://" + filepath.ToSlash(dir)
			for _, args := range [][]string{{"destroy", "--yes", u}, {"destroy", u}, {"ls", u}} {
				r := kvc(t, "y\n", nil, args...)
				if r.code != 1 {
					t.Errorf("%s: exit %d, want 1", strings.Join(args, " "), r.code)
				}
				if strings.Contains(r.stderr, "[y/N]") {
					t.Errorf("%s asked before the check: %q", strings.Join(args, " "), r.stderr)
				}
				checkErrorLine(t, r.stderr, u, "not a store", tc.entry, "nothing was changed")
			}
			for _, f := range tc.files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s after destroy: %v", f, err)
				}
			}
		})
	}
}

// TestDestroySaysWhat checks that destroy counts the items and bytes it
// will remove before it asks, and removes the store on "y".
func TestDestroySaysWhat(t *testing.T) {
	u, dir := newStore(t, "--levels", "data/=1", "--levels", "config/=0")
	ok(t, "12345", "put", u, "data/"+key)
	ok(t, "123", "put", u, "config/settings")
	ok(t, "", "rm", "--soft", u, "config/settings")
	r := kvc(t, "y\n", nil, "destroy", u)
	if r.code != 0 {
		t.Fatalf("destroy: exit %d: %s", r.code, r.stderr)
	}
	if want := "destroy " + u + ": 2 items (8 B) and every directory? [y/N] "; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("destroy asked %q, want %q", r.stderr, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("destroy left %s: %v", dir, err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
