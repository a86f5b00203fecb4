package permissions

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// Letters are the permission letters, in their canonical order: l (list
// and info), r (load and hash), w (write a new item, make a directory), W
// (overwrite an existing item, and write a new one), D (delete, and be the
// source of a move).
const Letters = "lrwWD"

// letters is a set of permission letters, one bit each.
type letters uint8

const (
	letterL letters = 1 << iota // l: list, info
	letterR                     // r: load, hash
	letterW                     // w: write new items, make directories
	letterO                     // W: overwrite (and write new) items
	letterD                     // D: delete, move away
)

// parseLetters returns the set of the letters in s; any other character is
// an error.
func parseLetters(s string) (letters, error) {
	var set letters
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(Letters, s[i])
		if j < 0 {
			return 0, fmt.Errorf("letter %q is not one of %q", s[i], Letters)
		}
		set |= 1 << j
	}
	return set, nil
}

// String returns the letters of the set in canonical order.
func (s letters) String() string {
	var b strings.Builder
	for i := range len(Letters) {
		if s&(1<<i) != 0 {
			b.WriteByte(Letters[i])
		}
	}
	return b.String()
}

// Validate checks a permission map: every key is a valid directory name
// ("" is the root), every value holds letters of Letters only.
func Validate(perms map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(perms)) {
		if err := kv.ValidateDirName(key); err != nil {
			return fmt.Errorf("permissions: key %q: %w", key, err)
		}
		if _, err := parseLetters(perms[key]); err != nil {
			return fmt.Errorf("permissions: key %q: %w", key, err)
		}
	}
	return nil
}

// The shortcuts, as Borg 2 defines them for its namespaces (archives,
// cache, config, index, keys, locks, packs) in borg.repository. "all"
// grants everything everywhere (Borg switches the checks off instead).
var shortcuts = map[string]map[string]string{
	"all": {"": "lrwWD"},
	// Mostly no delete and no overwrite: new archives and packs may be
	// added; the manifest (config) is overwritten; caches, indexes and
	// locks are managed freely.
	"no-delete": {
		"":         "lr",
		"archives": "lrw",
		"cache":    "lrwWD",
		"config":   "lrW",
		"index":    "lrwWD",
		"keys":     "lr",
		"locks":    "lrwD",
		"packs":    "lrw",
	},
	// Mostly no reading: as no-delete, but archives and packs cannot be
	// read back (the index can, so that deduplication works).
	"write-only": {
		"":         "l",
		"archives": "lw",
		"cache":    "lrwWD",
		"config":   "lrW",
		"index":    "lrwWD",
		"keys":     "lr",
		"locks":    "lrwD",
		"packs":    "lw",
	},
	// Read everything; only the locks may change.
	"read-only": {"": "lr", "locks": "lrwD"},
}

// borgstorePrefix is the prefix of borgstore's names for the shortcuts
// ("borgbackup-no-delete").
const borgstorePrefix = "borgbackup-"

// ShortcutNames returns the names Shortcut accepts without the
// "borgbackup-" prefix, sorted.
func ShortcutNames() []string { return slices.Sorted(maps.Keys(shortcuts)) }

// Shortcut returns a new copy of the permission map called name: "all",
// "no-delete", "write-only" or "read-only", Borg 2's permission sets for
// its repository namespaces; borgstore's names for them, with the prefix
// "borgbackup-", are accepted too. Another name is an error that lists the
// known ones.
func Shortcut(name string) (map[string]string, error) {
	m, ok := shortcuts[strings.TrimPrefix(name, borgstorePrefix)]
	if !ok {
		return nil, fmt.Errorf("permissions: unknown shortcut %q, want one of %s (optionally prefixed %q)",
			name, strings.Join(ShortcutNames(), ", "), borgstorePrefix)
	}
	return maps.Clone(m), nil
}

// Parse reads the value of a --permissions flag: a shortcut name (see
// Shortcut) or a JSON object mapping directory names to letters, such as
// {"": "lr", "data": "lrw"}. The map is validated (see Validate); an empty
// object is an error, since it would grant nothing.
func Parse(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		return Shortcut(s)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("permissions: not a JSON object of strings: %w", err)
	}
	if len(m) == 0 {
		return nil, errors.New(`permissions: the empty map grants nothing; use "all" to grant everything`)
	}
	if err := Validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// rules is a validated permission map, the letters as sets.
type rules struct {
	m      map[string]letters
	maxLen int // the length of the longest key
}

// compile validates perms and returns them as rules.
func compile(perms map[string]string) (rules, error) {
	if err := Validate(perms); err != nil {
		return rules{}, err
	}
	r := rules{m: make(map[string]letters, len(perms))}
	for key, value := range perms {
		r.m[key], _ = parseLetters(value)
		r.maxLen = max(r.maxLen, len(key))
	}
	return r, nil
}

// lookup returns the entry that decides for name: the entry of name
// itself, else of its nearest parent, up to the root "". ok is false when
// no entry applies. Names longer than every key are cut to their parents
// without a lookup.
func (r rules) lookup(name string) (key string, granted letters, ok bool) {
	for {
		if len(name) <= r.maxLen {
			if granted, ok := r.m[name]; ok {
				return name, granted, true
			}
		}
		if name == "" {
			return "", 0, false
		}
		name = parent(name)
	}
}

// parent returns the directory of name, "" for a name at the root.
func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}
