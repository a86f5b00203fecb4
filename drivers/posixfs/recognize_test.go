package posixfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// tree makes the files (and, for names ending in "/", directories) below
// base.
func tree(t *testing.T, base string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(base, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// count returns the number of files and directories below base.
func count(t *testing.T, base string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(base, func(string, os.DirEntry, error) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRecognizeForeign checks that Open and Destroy refuse directories that
// no store made, name the first foreign entry and remove nothing.
func TestRecognizeForeign(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tree  []string
		entry string
	}{
		{"file", []string{"data/", "data/0011", "report.pdf"}, `"report.pdf"`},
		{"home", []string{".bashrc", ".ssh/id_ed25519", ".ssh/known_hosts", "Documents/letter.odt"}, `".bashrc"`},
		{"home-dirs-only", []string{".ssh/id_ed25519", "Documents/letter.odt"}, `"Documents"`},
		{"home-lowercase", []string{".ssh/id_ed25519", ".ssh/known_hosts", ".config/app/", "src/project/"}, `".config/app"`},
		{"etc", []string{"adduser.conf", "passwd", "ssh/sshd_config", "X11/xorg.conf"}, `"X11"`},
		{"etc-dirs", []string{"apt/apt.conf.d/", "apt/sources.list", "ssh/ssh_config"}, `"apt/apt.conf.d"`},
		{"nested-dir", []string{"data/00/", "data/sub/"}, `"data/sub"`},
		{"symlink-at-root", []string{"data/"}, `"link"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := newBase(t)
			tree(t, base, tc.tree...)
			if tc.name == "symlink-at-root" {
				if err := os.Symlink("/etc", filepath.Join(base, "link")); err != nil {
					t.Fatal(err)
				}
			}
			before := count(t, base)
			d := mustNew(t, base)
			for op, err := range map[string]error{"open": d.Open(t.Context()), "destroy": d.Destroy(t.Context())} {
				if !errors.Is(err, kv.ErrNotAStore) {
					t.Errorf("%s: %v, want %v", op, err, kv.ErrNotAStore)
				} else if !strings.Contains(err.Error(), tc.entry) {
					t.Errorf("%s: %v does not name %s", op, err, tc.entry)
				}
			}
			if after := count(t, base); after != before {
				t.Errorf("%d entries before destroy, %d after", before, after)
			}
		})
	}
}

// TestRecognizeStores checks that Open and Destroy take stores: one that
// Create made (with backendkit.StoreRecord), and stores without the record in the
// shapes borgstore and Borg 2 leave (pre-created nesting directories,
// hidden and temporary files, soft-deleted items).
func TestRecognizeStores(t *testing.T) {
	borg2 := []string{"archives/", "cache/", "config/", "config/id", "index/", "keys/repokey", "locks/", "packs/ab/abcd0123", "data/00/00/", "data/ff/ff/", "data/00/00/0000aa"}
	for _, tc := range []struct {
		name string
		tree []string
	}{
		{"empty", nil},
		{"borgstore", []string{"config/settings", "data/00/", "data/ff/", "data/01/0123", "data/01/0123.del", "data/01/0456.x1.tmp", "quota.hid"}},
		{"borg2", borg2},
		{"marked", []string{backendkit.StoreRecord, "notes", "Whatever/Upper"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := newBase(t)
			if err := os.MkdirAll(base, 0o755); err != nil {
				t.Fatal(err)
			}
			tree(t, base, tc.tree...)
			d := mustNew(t, base)
			if err := d.Open(t.Context()); err != nil {
				t.Fatalf("open: %v", err)
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := d.Destroy(t.Context()); err != nil {
				t.Fatalf("destroy: %v", err)
			}
			if _, err := os.Stat(base); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("base after destroy: %v", err)
			}
		})
	}
}
