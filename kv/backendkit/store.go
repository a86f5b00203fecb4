package backendkit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// StoreRecord is the hidden item that Create writes at the root of every
// store it makes, holding StoreRecordValue: it marks the directory as a
// store (see Recognize). Like every ".hid" name it is invisible to List, to
// borgstore's listing and to Borg 2.
const StoreRecord = "store.hid"

// LayoutRecord is the hidden item at the root of a store in which a nesting
// layer records the levels of its namespaces (see layers/nesting).
const LayoutRecord = "layout.hid"

// DirMarker is the empty object that borgstore (and the s3 driver) keeps in
// a directory of an object store, so that the directory exists without
// items: "PATH/DIR/.dir".
const DirMarker = ".dir"

// IsStoreRecord reports whether name, an entry at the base of a store, is
// one of the records a store keeps there (a hidden file: StoreRecord,
// LayoutRecord, a quota layer's record) rather than an item: Create takes a
// store holding only records for empty.
func IsStoreRecord(name string) bool {
	base, ok := strings.CutSuffix(name, kv.HiddenSuffix)
	return ok && base != "" && !strings.Contains(name, "/")
}

// StoreRecordText is the content of StoreRecord as Create writes it.
// Recognize only asks whether the record exists, so an empty file of that
// name adopts a directory the check refuses.
const StoreRecordText = "kvcompose store\n"

// DirEntry is one name in a directory of a store as the driver finds it,
// valid or not.
type DirEntry struct {
	Name string
	Dir  bool
}

// ReadDirFunc lists the directory dir of a store ("" is the base) with every
// name it holds, valid or not, hidden and temporary files included. The
// entries need not be sorted.
type ReadDirFunc func(ctx context.Context, dir string) ([]DirEntry, error)

// Recognize is the check that drivers make in Open and Destroy: it returns
// nil if the directory that readDir lists (where describes it in messages)
// is a store, and otherwise an *Error for op wrapping ErrNotAStore that
// names the first entry, in sorted order, that no store would hold.
//
// A directory is a store when it holds StoreRecord (one listing of the
// base: what every store that Create made holds), when it is empty, or
// when it has the shape of a store that borgstore or Borg 2 made (no
// record): at the base only namespace directories with valid names and
// hidden (".hid") or temporary (".tmp") files, and in each namespace only
// items with valid names (soft-deleted ones included), hidden and
// temporary files, and nesting directories of two lowercase hex digits.
// Checking that shape costs one listing per namespace.
func Recognize(ctx context.Context, op kv.Op, where string, readDir ReadDirFunc) error {
	root, err := readDir(ctx, "")
	if err != nil {
		return err
	}
	for _, e := range root {
		if e.Name == StoreRecord && !e.Dir {
			return nil
		}
	}
	sortEntries(root)
	for _, e := range root {
		if why := foreignAtRoot(e); why != "" {
			return notAStore(op, where, e.Name, why)
		}
	}
	for _, e := range root {
		if !e.Dir {
			continue
		}
		inner, err := readDir(ctx, e.Name)
		if err != nil {
			return err
		}
		sortEntries(inner)
		for _, f := range inner {
			if why := foreignInNamespace(f); why != "" {
				return notAStore(op, where, e.Name+"/"+f.Name, why)
			}
		}
	}
	return nil
}

// foreignAtRoot says why no store holds e at its base, or "".
func foreignAtRoot(e DirEntry) string {
	switch {
	case internalFile(e):
		return ""
	case !e.Dir:
		return "a file at the base of a directory without " + StoreRecord
	case !kv.IsValidName(e.Name) || strings.Contains(e.Name, "/"):
		return "a directory whose name is not a valid namespace"
	}
	return ""
}

// foreignInNamespace says why no store holds e in a namespace, or "".
func foreignInNamespace(e DirEntry) string {
	switch {
	case internalFile(e):
		return ""
	case e.Dir && !isNestingDir(e.Name):
		return "a directory in a namespace that is not a nesting directory"
	case !e.Dir && !borgstoreName(e.Name):
		return "a file whose name no store would give an item"
	}
	return ""
}

// borgstoreName reports whether a file in a namespace has a name that
// borgstore would write (lowercase printable ASCII without blanks or
// backslashes, at most MaxNameLen long): a looser rule than ours, so that
// an item of a store another program wrote does not make it foreign.
func borgstoreName(name string) bool {
	if name == "" || len(name) > kv.MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == '\\' || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// internalFile reports whether e is a hidden or temporary file of a store,
// or the marker DirMarker of a directory on an object store.
func internalFile(e DirEntry) bool {
	if e.Dir {
		return false
	}
	if e.Name == DirMarker {
		return true
	}
	for _, suffix := range []string{kv.HiddenSuffix, kv.TempSuffix} {
		if base, ok := strings.CutSuffix(e.Name, suffix); ok && base != "" {
			return true
		}
	}
	return false
}

// isNestingDir reports whether name is two lowercase hex digits.
func isNestingDir(name string) bool {
	return len(name) == 2 && isHex(name[0]) && isHex(name[1])
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func sortEntries(es []DirEntry) {
	slices.SortFunc(es, func(a, b DirEntry) int { return strings.Compare(a.Name, b.Name) })
}

func notAStore(op kv.Op, where, entry, why string) error {
	return NewError(op, "", kv.ErrNotAStore,
		fmt.Errorf("%s holds %q (%s), which no store would hold; nothing was changed", where, entry, why))
}
