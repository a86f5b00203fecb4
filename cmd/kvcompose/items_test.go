package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kvcompose/compose"
)

func TestRoundTrip(t *testing.T) {
	u, dir := newStore(t)
	file := filepath.Join(t.TempDir(), "value")
	value := strings.Repeat("0123456789", 1000)
	if err := os.WriteFile(file, []byte(value), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, "", "put", u, "config/settings", file)
	ok(t, "from stdin", "put", u, "data/aa")
	ok(t, "dash", "put", u, "data/bb", "-")

	if got := ok(t, "", "get", u, "config/settings"); got != value {
		t.Errorf("get config/settings: %d bytes, want %d", len(got), len(value))
	}
	if got := ok(t, "", "get", u, "data/aa"); got != "from stdin" {
		t.Errorf("get data/aa = %q", got)
	}
	out := filepath.Join(t.TempDir(), "out")
	if got := ok(t, "", "get", "-o", out, u, "data/bb"); got != "" {
		t.Errorf("get -o wrote %q to stdout", got)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "dash" {
		t.Errorf("get -o: %q, %v", b, err)
	}
	// The store holds the names as given, on disk.
	if b, err := os.ReadFile(filepath.Join(dir, "data", "aa")); err != nil || string(b) != "from stdin" {
		t.Errorf("on disk: %q, %v", b, err)
	}

	if got := ok(t, "", "ls", u); got != "config/\ndata/\n" {
		t.Errorf("ls root = %q", got)
	}
	for _, ns := range []string{"data", "data/"} {
		if got := ok(t, "", "ls", u, ns); got != "aa\nbb\n" {
			t.Errorf("ls %s = %q", ns, got)
		}
	}

	sum := sha256.Sum256([]byte(value))
	if got := ok(t, "", "hash", u, "config/settings"); got != hex.EncodeToString(sum[:])+"\n" {
		t.Errorf("hash = %q", got)
	}
	if got := ok(t, "", "hash", "--algorithm", "md5", u, "data/aa"); len(got) != 33 {
		t.Errorf("hash --algorithm md5 = %q", got)
	}

	ok(t, "", "mv", u, "data/aa", "data/cc")
	if got := ok(t, "", "ls", u, "data"); got != "bb\ncc\n" {
		t.Errorf("ls after mv = %q", got)
	}
	ok(t, "", "rm", u, "data/bb")
	if got := ok(t, "", "ls", u, "data"); got != "cc\n" {
		t.Errorf("ls after rm = %q", got)
	}

	info := ok(t, "", "info", u, "data/cc")
	for _, want := range []string{"name:      data/cc\n", "exists:    true\n", "size:      10\n", "directory: false\n", "atime:     2"} {
		if !strings.Contains(info, want) {
			t.Errorf("info lacks %q:\n%s", want, info)
		}
	}
	if info := ok(t, "", "info", u, "data/missing"); !strings.Contains(info, "exists:    false\n") {
		t.Errorf("info of a missing item:\n%s", info)
	}
	var e struct {
		Name   string
		Exists bool
		Size   int64
	}
	if err := json.Unmarshal([]byte(ok(t, "", "info", "--json", u, "data/cc")), &e); err != nil || e != (struct {
		Name   string
		Exists bool
		Size   int64
	}{"data/cc", true, 10}) {
		t.Errorf("info --json: %+v, %v", e, err)
	}

	if got := ok(t, "", "quota", u); got != "limit: not recorded in the store\nusage: not tracked (no quota.hid)\n" {
		t.Errorf("quota = %q", got)
	}
	if got := ok(t, "", "quota", "--json", u); got != `{"limit":-1,"usage":-1}`+"\n" {
		t.Errorf("quota --json = %q", got)
	}

	ok(t, "", "destroy", "--yes", u)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("destroy left %s: %v", dir, err)
	}
}

func TestLsLongAndJSON(t *testing.T) {
	u, _ := newStore(t)
	ok(t, "12345", "put", u, "data/aa")
	ok(t, "", "put", u, "data/bb")
	ok(t, "x", "put", u, "data/sub/cc")

	long := regexp.MustCompile(`^ +(\d+)  (\S+) +  (\S+)$`)
	want := []struct{ size, name string }{{"5", "aa"}, {"0", "bb"}, {"", "sub/"}}
	lines := strings.Split(strings.TrimSuffix(ok(t, "", "ls", "-l", u, "data"), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("ls -l: %q", lines)
	}
	for i, l := range lines {
		m := long.FindStringSubmatch(l)
		if m == nil || m[3] != want[i].name || want[i].size != "" && m[1] != want[i].size {
			t.Errorf("ls -l line %q, want size %s name %s", l, want[i].size, want[i].name)
		}
	}

	type entry struct {
		Name      string  `json:"name"`
		Size      int64   `json:"size"`
		Directory bool    `json:"directory"`
		Atime     *string `json:"atime"`
	}
	var got []entry
	for _, l := range strings.Split(strings.TrimSuffix(ok(t, "", "ls", "--json", u, "data"), "\n"), "\n") {
		var e entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("ls --json line %q: %v", l, err)
		}
		got = append(got, e)
	}
	if len(got) != 3 || got[0].Name != "aa" || got[0].Size != 5 || got[0].Atime == nil ||
		got[1].Name != "bb" || got[2].Name != "sub" || !got[2].Directory {
		t.Errorf("ls --json: %+v", got)
	}
}

func TestRange(t *testing.T) {
	u, _ := newStore(t)
	ok(t, "0123456789", "put", u, "data/aa")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--offset", "3"}, "3456789"},
		{[]string{"--offset", "3", "--size", "2"}, "34"},
		{[]string{"--size", "4"}, "0123"},
		{[]string{"--offset", "-3"}, "789"},
		{[]string{"--offset", "-4", "--size", "2"}, "67"},
		{[]string{"--offset", "-40"}, "0123456789"},
		{[]string{"--offset", "8", "--size", "100"}, "89"},
		{[]string{"--offset", "20"}, ""},
		{[]string{"--size", "0"}, ""},
	} {
		if got := ok(t, "", append(append([]string{"get"}, c.args...), u, "data/aa")...); got != c.want {
			t.Errorf("get %s = %q, want %q", strings.Join(c.args, " "), got, c.want)
		}
	}
}

func TestSoftDelete(t *testing.T) {
	u, _ := newStore(t)
	ok(t, "old", "put", u, "data/aa")
	ok(t, "", "rm", "--soft", u, "data/aa")
	if got := ok(t, "", "ls", u, "data"); got != "" {
		t.Errorf("ls after rm --soft = %q", got)
	}
	if got := ok(t, "", "ls", "--deleted", u, "data"); got != "aa\n" {
		t.Errorf("ls --deleted = %q", got)
	}
	if got := ok(t, "", "get", "--deleted", u, "data/aa"); got != "old" {
		t.Errorf("get --deleted = %q", got)
	}
	ok(t, "new", "put", u, "data/aa") // a live and a deleted version coexist
	if got := ok(t, "", "get", u, "data/aa"); got != "new" {
		t.Errorf("get = %q", got)
	}
	ok(t, "", "undelete", u, "data/aa") // replaces the live one
	if got := ok(t, "", "get", u, "data/aa"); got != "old" {
		t.Errorf("get after undelete = %q", got)
	}
	if got := ok(t, "", "ls", "--deleted", u, "data"); got != "" {
		t.Errorf("ls --deleted after undelete = %q", got)
	}
	ok(t, "", "rm", "--soft", u, "data/aa")
	ok(t, "", "rm", "--deleted", u, "data/aa")
	if got := ok(t, "", "ls", "--deleted", u, "data"); got != "" {
		t.Errorf("ls --deleted after rm --deleted = %q", got)
	}
}

const key = "0123456789abcdef0123456789abcdef"

func TestLevels(t *testing.T) {
	levels := []string{"--levels", "data/=1", "--levels", "config/=0"}
	u, dir := newStore(t, levels...)
	if ents, err := os.ReadDir(filepath.Join(dir, "data")); err != nil || len(ents) != 256 {
		t.Fatalf("create pre-created %d directories in data/, want 256 (%v)", len(ents), err)
	}
	ok(t, "v", append([]string{"put", u, "data/" + key}, levels...)...)
	ok(t, "c", append([]string{"put", u, "config/settings"}, levels...)...)
	if _, err := os.Stat(filepath.Join(dir, "data", "01", key)); err != nil {
		t.Errorf("the item is not at nesting level 1: %v", err)
	}
	if got := ok(t, "", append([]string{"ls", u, "data"}, levels...)...); got != key+"\n" {
		t.Errorf("ls with levels = %q", got)
	}
	if got := ok(t, "", append([]string{"get", u, "data/" + key}, levels...)...); got != "v" {
		t.Errorf("get with levels = %q", got)
	}
	// Without --levels, the levels the store recorded.
	ok(t, "w", "put", u, "data/ff"+key[2:])
	if _, err := os.Stat(filepath.Join(dir, "data", "ff", "ff"+key[2:])); err != nil {
		t.Errorf("put without --levels: not at the recorded level 1: %v", err)
	}
	if got := ok(t, "", "ls", u, "data"); got != key+"\nff"+key[2:]+"\n" {
		t.Errorf("ls without --levels = %q", got)
	}
	if got := ok(t, "", "get", u, "data/"+key); got != "v" {
		t.Errorf("get without --levels = %q", got)
	}
	// A missing item is named as the caller gave it, with no nesting directory.
	r := kvc(t, "", nil, "get", u, "data/89"+key[2:])
	checkErrorLine(t, r.stderr, `"data/89`+key[2:]+`"`, "not found")
	if strings.Contains(r.stderr, "openat") || strings.Contains(r.stderr, "data/89/") {
		t.Errorf("the error names a nesting directory: %q", r.stderr)
	}
	// Levels that contradict the record are an error, whatever the command.
	for _, cmd := range [][]string{{"put", u, "data/ee" + key[2:]}, {"ls", u, "data"}, {"get", u, "data/" + key}} {
		r := kvc(t, "x", nil, append(cmd, "--levels", "data/=2")...)
		if r.code != 1 {
			t.Errorf("%s --levels data/=2 on a store at data/=1: exit %d, want 1", cmd[0], r.code)
		}
		checkErrorLine(t, r.stderr, `"data/"=[2]`, `"data/"=[1]`, "level change")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "ee", "23")); !os.IsNotExist(err) {
		t.Errorf("the refused put wrote: %v", err)
	}
	// A level change keeps the old level and adds the new one.
	r = kvc(t, "x", nil, "put", "--levels", "data/=2", "--change-levels", u, "data/ee"+key[2:])
	checkErrorLine(t, r.stderr, "drop level 1")
	ok(t, "n", "put", "--levels", "data/=1,2", "--change-levels", u, "data/ee"+key[2:])
	if _, err := os.Stat(filepath.Join(dir, "data", "ee", "23", "ee"+key[2:])); err != nil {
		t.Errorf("after the change, a new item is not at level 2: %v", err)
	}
	if got := ok(t, "", "get", u, "data/"+key); got != "v" {
		t.Errorf("after the change, the item at level 1: %q", got)
	}
}

// TestStoreWithoutRecord reads and writes a store that borgstore's layout
// made (data/ at level 2, packs/ at level 1, no records) without --levels.
func TestStoreWithoutRecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	for _, d := range []string{"config", "data/00/00", "data/ff/ff", "packs/00", "packs/01"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "packs", "01", key), []byte("pack"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := "file://" + filepath.ToSlash(dir)
	if got := ok(t, "", "get", u, "packs/"+key); got != "pack" {
		t.Errorf("get packs/ at level 1 = %q", got)
	}
	ok(t, "d", "put", u, "data/"+key)
	if _, err := os.Stat(filepath.Join(dir, "data", "01", "23", key)); err != nil {
		t.Errorf("put into data/ at level 2: %v", err)
	}
	if got := ok(t, "", "ls", u, "packs"); got != key+"\n" {
		t.Errorf("ls packs = %q", got)
	}
	r := kvc(t, "x", nil, "put", "--levels", "data/=0", u, "data/aa"+key[2:])
	checkErrorLine(t, r.stderr, `"data/" at level 2`)
}

func TestLayoutBorg2(t *testing.T) {
	u, dir := newStore(t, "--layout", "borg2")
	for _, ns := range []string{"archives", "cache", "config", "index", "keys", "locks"} {
		if fi, err := os.Stat(filepath.Join(dir, ns)); err != nil || !fi.IsDir() {
			t.Errorf("create --layout borg2 made no %s/: %v", ns, err)
		}
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "packs")); err != nil || len(ents) != 256 {
		t.Errorf("packs/ has %d directories, want 256 (%v)", len(ents), err)
	}
	ok(t, "pack", "put", "--layout", "borg2", u, "packs/"+key)
	ok(t, "cfg", "put", "--layout", "borg2", u, "config/id")
	if _, err := os.Stat(filepath.Join(dir, "packs", "01", key)); err != nil {
		t.Errorf("packs/ is not at level 1: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config", "id")); err != nil {
		t.Errorf("config/ is not at level 0: %v", err)
	}
	if got := ok(t, "", "ls", "--layout", "borg2", u, "packs"); got != key+"\n" {
		t.Errorf("ls packs = %q", got)
	}
	// Without --layout, the layout the store recorded.
	if got := ok(t, "", "get", u, "packs/"+key); got != "pack" {
		t.Errorf("get packs/ without --layout = %q", got)
	}
	// --levels overrides the layout per namespace: a level change.
	ok(t, "p2", "put", "--layout", "borg2", "--levels", "packs/=1,2", "--change-levels", u, "packs/ff"+key[2:])
	if _, err := os.Stat(filepath.Join(dir, "packs", "ff", "23", "ff"+key[2:])); err != nil {
		t.Errorf("--levels packs/=1,2 over borg2: %v", err)
	}
}

// TestQuota reads the usage a store records in quota.hid (as the quota
// layer and borgstore's server keep it), and says "not tracked" only
// when there is no record.
func TestQuota(t *testing.T) {
	u, dir := newStore(t, "--levels", "data/=1")
	if got := ok(t, "", "quota", u); !strings.Contains(got, "usage: not tracked") {
		t.Errorf("quota without a record: %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "quota.hid"), []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{nil, {"--levels", "data/=1"}} {
		args := append(append([]string{"quota"}, flags...), u)
		if got := ok(t, "", args...); !strings.Contains(got, "usage: 12345 (recorded in quota.hid)") || !strings.Contains(got, "limit: not recorded") {
			t.Errorf("quota %v: %q", flags, got)
		}
	}
	if got := ok(t, "", "quota", "--json", u); got != `{"limit":-1,"usage":12345}`+"\n" {
		t.Errorf("quota --json: %q", got)
	}
	// A store written through the quota layer (kvcompose serve --quota
	// does the same) records its usage on Close.
	st, err := compose.Open(u, compose.WithQuota(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := os.Remove(filepath.Join(dir, "quota.hid")); err != nil {
		t.Fatal(err)
	}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Store(ctx, "config/x", []byte("1234567")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ok(t, "", "quota", u); !strings.Contains(got, "usage: 7 (recorded in quota.hid)") {
		t.Errorf("quota after the quota layer wrote its record: %q", got)
	}
}

// TestSync runs commands with --sync and with ?sync=true in the URL: they
// work as without (the durability itself is tested in drivers/posixfs).
func TestSync(t *testing.T) {
	u, _ := newStore(t)
	ok(t, "v", "--sync", "put", u, "data/aa")
	ok(t, "w", "put", u+"?sync=true", "data/bb")
	ok(t, "", "mv", "--sync", u, "data/aa", "data/cc")
	ok(t, "", "rm", u+"?sync=true", "data/bb")
	if got := ok(t, "", "ls", "--sync", u, "data"); got != "cc\n" {
		t.Errorf("ls = %q", got)
	}
}
