package posixfs

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// syncLog records what a driver syncs.
type syncLog struct {
	mu    sync.Mutex
	files []os.FileInfo
}

// watchSyncs makes d record every sync it makes.
func watchSyncs(t *testing.T, d *Driver) *syncLog {
	t.Helper()
	l := &syncLog{}
	d.sync = func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			t.Errorf("stat of a synced file: %v", err)
		}
		l.mu.Lock()
		l.files = append(l.files, fi)
		l.mu.Unlock()
		return f.Sync()
	}
	return l
}

// take returns the paths of the directories synced since the last take
// (relative to base, "." for it), and the number of regular files synced.
func (l *syncLog) take(t *testing.T, base string) (dirs map[string]bool, files int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	dirs = map[string]bool{}
	for _, fi := range l.files {
		if !fi.IsDir() {
			files++
			continue
		}
		found := false
		_ = filepath.Walk(base, func(p string, pfi os.FileInfo, err error) error {
			if err == nil && pfi.IsDir() && os.SameFile(fi, pfi) {
				rel, _ := filepath.Rel(base, p)
				dirs[rel], found = true, true
			}
			return nil
		})
		if !found {
			t.Errorf("synced a directory outside the store: %v", fi.Name())
		}
	}
	l.files = nil
	return dirs, files
}

// TestFsyncCalls checks that with WithFsync every Store, Move and Delete
// syncs what it changed: the value, the directory of each name it changed,
// and the parents of the directories it made. Without it, nothing is
// synced.
func TestFsyncCalls(t *testing.T) {
	ctx := t.Context()
	type step struct {
		what  string
		do    func(d *Driver) error
		dirs  []string
		files int
	}
	steps := []step{
		{"store in new directories", func(d *Driver) error { return d.Store(ctx, "data/new/x", []byte("1")) },
			[]string{".", "data", "data/new"}, 1},
		{"overwrite", func(d *Driver) error { return d.Store(ctx, "data/new/x", []byte("2")) },
			[]string{"data/new"}, 1},
		{"move in one directory", func(d *Driver) error { return d.Move(ctx, "data/new/x", "data/new/y") },
			[]string{"data/new"}, 0},
		{"move to a new directory", func(d *Driver) error { return d.Move(ctx, "data/new/y", "other/z") },
			[]string{".", "other", "data/new"}, 0},
		{"delete", func(d *Driver) error { return d.Delete(ctx, "other/z") },
			[]string{"other"}, 0},
		{"mkdir", func(d *Driver) error { return d.Mkdir(ctx, "made/a/b") },
			[]string{".", "made", "made/a"}, 0},
		{"mkdir of a leaf", func(d *Driver) error { return d.Mkdir(ctx, "made/a/c") },
			[]string{"made/a"}, 0},
		{"mkdir of an existing directory", func(d *Driver) error { return d.Mkdir(ctx, "made/a") },
			nil, 0},
	}
	for _, fsync := range []bool{false, true} {
		d := openStore(t, WithFsync(fsync))
		log := watchSyncs(t, d)
		for _, s := range steps {
			if err := s.do(d); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
			dirs, files := log.take(t, d.Base())
			wantDirs, wantFiles := s.dirs, s.files
			if !fsync {
				wantDirs, wantFiles = nil, 0
			}
			if files != wantFiles || len(dirs) != len(wantDirs) {
				t.Errorf("fsync=%v, %s: synced %d files and directories %v, want %d files and %q", fsync, s.what, files, dirs, wantFiles, wantDirs)
				continue
			}
			for _, w := range wantDirs {
				if !dirs[w] {
					t.Errorf("fsync=%v, %s: synced %v, want %q", fsync, s.what, dirs, wantDirs)
				}
			}
		}
	}
}
