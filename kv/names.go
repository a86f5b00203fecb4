package kv

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest valid driver-level name, nesting directories and
// the ".del" suffix included.
const MaxNameLen = 100

// DeletedSuffix marks a soft-deleted item at the driver level.
const DeletedSuffix = ".del"

// TempSuffix marks the temporary file of an unfinished store; names with it
// are invalid and never listed.
const TempSuffix = ".tmp"

// HiddenSuffix marks internal files (a quota counter, for example); names
// with it are invalid and never listed.
const HiddenSuffix = ".hid"

// allowed[c] is true for the characters a name segment may hold.
var allowed = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "._-~:+=,@/" {
		t[c] = true
	}
	return t
}()

// ValidateName checks a driver-level name against the rules of docs/semantics.md.
// The rules admit one spelling per item: no empty segment ("a//b", a leading
// or trailing "/"), no "." segment ("./a", "a/./b", "a/.", "."), no ".."
// anywhere, so that a layer that judges names (permissions, quota, cache)
// can never be reached through an alias.
// The empty name (the root) is invalid here; see ValidateDirName. The error
// wraps ErrInvalidName and says what is wrong.
func ValidateName(name string) error {
	if name == "" {
		return invalid("the name is empty")
	}
	return validate(name)
}

// ValidateDirName is ValidateName that also accepts the root, "", as List,
// Mkdir and Info do.
func ValidateDirName(name string) error {
	if name == "" {
		return nil
	}
	return validate(name)
}

func validate(name string) error {
	if len(name) > MaxNameLen {
		return invalid("longer than %d characters", MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !allowed[c] {
			switch {
			case 'A' <= c && c <= 'Z':
				return invalid("character %q at %d is not allowed: names are lowercase", c, i)
			case c >= 0x80:
				return invalid(`byte '\x%02x' at %d is not allowed: names are ASCII`, c, i)
			}
			return invalid("character %q at %d is not allowed", c, i)
		}
	}
	switch {
	case name[0] == '/':
		return invalid("leading /")
	case name[len(name)-1] == '/':
		return invalid("trailing /")
	case strings.Contains(name, "//"):
		return invalid("empty path segment")
	case strings.Contains(name, ".."):
		return invalid(`contains ".."`)
	case name == ".", strings.HasPrefix(name, "./"), strings.HasSuffix(name, "/."), strings.Contains(name, "/./"):
		return invalid(`"." segment: a name has one spelling, without "." segments`)
	case strings.HasSuffix(name, TempSuffix):
		return invalid("ends in %s", TempSuffix)
	case strings.HasSuffix(name, HiddenSuffix):
		return invalid("ends in %s", HiddenSuffix)
	}
	return nil
}

// nameError is the cause of an invalid name; it is ErrInvalidName for
// errors.Is.
type nameError struct{ reason string }

func (e *nameError) Error() string        { return ErrInvalidName.Error() + ": " + e.reason }
func (e *nameError) Is(target error) bool { return target == ErrInvalidName }

func invalid(format string, args ...any) error {
	return &nameError{reason: fmt.Sprintf(format, args...)}
}

// IsValidName reports whether name is a valid non-root name; drivers use it
// to skip foreign entries while listing.
func IsValidName(name string) bool { return name != "" && validate(name) == nil }
