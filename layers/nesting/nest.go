package nesting

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// MaxLevel is the deepest nesting level New accepts: three levels already
// spread a namespace over 16,777,216 directories.
const MaxLevel = 3

// Nest returns the driver-level name of name at level: the namespace part is
// kept, level directories of two characters each taken from the start of the
// key are inserted, and suffix is appended to the key. Level 0 leaves the
// name alone (apart from the suffix):
//
//	Nest("data/12345678", 2, "")     = "data/12/34/12345678"
//	Nest("data/12345678", 3, ".del") = "data/12/34/56/12345678.del"
//
// A key shorter than 2 x level, or a negative level, is an ErrInvalidName
// error.
func Nest(name string, level int, suffix string) (string, error) {
	if level < 0 {
		return "", fmt.Errorf("nest %q: %w: negative level %d", name, kv.ErrInvalidName, level)
	}
	_, key := split(name)
	if len(key) < 2*level {
		return "", fmt.Errorf("nest %q: %w: key %q is too short for %d nesting levels", name, kv.ErrInvalidName, key, level)
	}
	return nest(name, level, suffix), nil
}

// nest is Nest for a key already known to be long enough.
func nest(name string, level int, suffix string) string {
	if level == 0 {
		if suffix == "" {
			return name
		}
		return name + suffix
	}
	dir, key := split(name)
	var b strings.Builder
	b.Grow(len(name) + 3*level + len(suffix))
	b.WriteString(dir)
	for i := range level {
		b.WriteString(key[2*i : 2*i+2])
		b.WriteByte('/')
	}
	b.WriteString(key)
	b.WriteString(suffix)
	return b.String()
}

// Unnest is the inverse of Nest: it removes the nesting directories between
// namespace (for example "data/") and the key of name, and the suffix, which
// name must end with if it is not empty:
//
//	Unnest("data/12/34/12345678.del", "data/", ".del") = "data/12345678"
//
// A name outside namespace, without the suffix, or whose directories are not
// the leading pairs of characters of its key is an ErrInvalidName error.
func Unnest(name, namespace, suffix string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("unnest %q: %w: %s", name, kv.ErrInvalidName, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(name, namespace)
	if !ok {
		return fail("not in namespace %q", namespace)
	}
	if suffix != "" {
		if rest, ok = strings.CutSuffix(rest, suffix); !ok {
			return fail("does not end in %q", suffix)
		}
	}
	dirs := strings.Split(rest, "/")
	key := dirs[len(dirs)-1]
	dirs = dirs[:len(dirs)-1]
	if len(key) < 2*len(dirs) {
		return fail("key %q is too short for %d nesting levels", key, len(dirs))
	}
	for i, d := range dirs {
		if d != key[2*i:2*i+2] {
			return fail("directory %q does not match key %q", d, key)
		}
	}
	return namespace + key, nil
}

// split cuts name after its last "/" into the directory part (with the
// slash, or "") and the key.
func split(name string) (dir, key string) {
	i := strings.LastIndexByte(name, '/')
	return name[:i+1], name[i+1:]
}

// namespace is one configured namespace: its prefix ("data/", or "" for
// the root) and its levels in probing order.
type namespace struct {
	prefix   string
	levels   []int
	maxLevel int
}

// hasLevel reports whether items live at depth d of the namespace.
func (ns *namespace) hasLevel(d int) bool { return slices.Contains(ns.levels, d) }

// last returns the level new items go to.
func (ns *namespace) last() int { return ns.levels[len(ns.levels)-1] }

// parseLevels checks the configuration and returns the namespaces ordered
// by decreasing prefix length, so that the first match is the longest.
func parseLevels(levels map[string][]int) ([]namespace, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("no namespace configured")
	}
	spaces := make([]namespace, 0, len(levels))
	for prefix, ls := range levels {
		if prefix != "" {
			if !strings.HasSuffix(prefix, "/") {
				return nil, fmt.Errorf("namespace %q must end in /", prefix)
			}
			if err := kv.ValidateName(strings.TrimSuffix(prefix, "/")); err != nil {
				return nil, fmt.Errorf("namespace %q: %w", prefix, err)
			}
		}
		if len(ls) == 0 {
			return nil, fmt.Errorf("namespace %q: no levels", prefix)
		}
		ns := namespace{prefix: prefix, levels: append([]int(nil), ls...)}
		for i, l := range ls {
			if l < 0 || l > MaxLevel {
				return nil, fmt.Errorf("namespace %q: level %d is not in 0..%d", prefix, l, MaxLevel)
			}
			if slices.Contains(ls[:i], l) {
				return nil, fmt.Errorf("namespace %q: level %d given twice", prefix, l)
			}
			ns.maxLevel = max(ns.maxLevel, l)
		}
		spaces = append(spaces, ns)
	}
	// Longest prefix first; equal lengths cannot match the same name.
	slices.SortFunc(spaces, func(a, b namespace) int {
		return cmp.Or(cmp.Compare(len(b.prefix), len(a.prefix)), strings.Compare(a.prefix, b.prefix))
	})
	return spaces, nil
}
