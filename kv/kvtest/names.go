package kvtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// invalidNames are names every item call refuses, with why.
var invalidNames = []struct{ name, why string }{
	{"ns/UPPER", "uppercase"},
	{"ns/a b", "space"},
	{`ns/a\b`, "backslash"},
	{"ns/a?b", "question mark"},
	{"ns/a#b", "hash sign"},
	{"ns/a%b", "percent"},
	{"ns/a*b", "asterisk"},
	{"ns/a\tb", "tab"},
	{"ns/a\nb", "newline"},
	{"ns/a\x00b", "NUL"},
	{"ns/\u00e9", "non-ASCII"},
	{"/ns/a", "leading slash"},
	{"ns/a/", "trailing slash"},
	{"ns//a", "empty segment"},
	{"ns/../a", "dot-dot segment"},
	{"ns/a..b", "dot-dot inside"},
	{"..", "dot-dot alone"},
	{"ns/" + strings.Repeat("a", kv.MaxNameLen), "longer than 100"},
	{".", "dot alone"},
	{"./ns/a", "leading dot segment"},
	{"ns/./a", "dot segment"},
	{"ns/a/.", "trailing dot segment"},
	{"/.", "slash dot"},
	{"ns/./", "dot segment and trailing slash"},
	{"ns/a.tmp", ".tmp suffix"},
	{"ns/a.hid", ".hid suffix"},
}

func testNames(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "ns/from", "v")
	for _, n := range invalidNames {
		for call, f := range itemCalls(n.name) {
			if call == "list" && n.why == "trailing slash" {
				continue // List("ns/a/") lists "ns/a"
			}
			if err := f(c, b); !errorsIs(err, kv.ErrInvalidName) {
				t.Errorf("%s with %s (%q): got %v, want %v", call, n.why, n.name, err, kv.ErrInvalidName)
			}
		}
	}
	// List takes a directory with one trailing slash as the directory:
	// namespaces are configured as "data/".
	if got, want := list(t, b, "ns/"), list(t, b, "ns"); !slices.Equal(got, want) {
		t.Errorf("list \"ns/\": %q, want %q as for \"ns\"", got, want)
	}
	// The root is a valid directory name for List, Mkdir and Info; the
	// other calls refuse it.
	list(t, b, "")
	noErr(t, b.Mkdir(c, ""), "mkdir of the root")
	info, err := b.Info(c, "")
	noErr(t, err, "info of the root")
	if !info.Exists || !info.Directory {
		t.Errorf("info of the root: %+v, want an existing directory", info)
	}
	for _, call := range []string{"load", "store", "delete", "move-from", "move-to", "rmdir", "hash", "defrag-source"} {
		if err := itemCalls("")[call](c, b); !errorsIs(err, kv.ErrInvalidName) {
			t.Errorf("%s of the root: got %v, want %v", call, err, kv.ErrInvalidName)
		}
	}
	// The longest valid name, the valid characters, and (unless a soft
	// delete layer owns it) the .del suffix.
	longest := "ns/" + strings.Repeat("a", kv.MaxNameLen-3)
	store(t, b, longest, "long")
	load(t, b, longest, "long")
	store(t, b, "ns/a.b_c-d~e:f+g=h,i@j", "chars")
	load(t, b, "ns/a.b_c-d~e:f+g=h,i@j", "chars")
	if !backendkit.Consumes(b, kv.KindDeleted) {
		store(t, b, "ns/item"+kv.DeletedSuffix, "deleted")
		load(t, b, "ns/item"+kv.DeletedSuffix, "deleted")
	}
	// Nothing was written under an invalid name.
	for _, name := range list(t, b, "ns") {
		switch name {
		case "from", "to", "target", longest[3:], "a.b_c-d~e:f+g=h,i@j", "item" + kv.DeletedSuffix:
		default:
			t.Errorf("list ns: unexpected entry %q", name)
		}
	}
}
