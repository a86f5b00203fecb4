package kv

import "fmt"

// OptionKind tells which per-call option an Option is.
type OptionKind uint8

// The option kinds. Range and the Defrag targets are understood by drivers;
// the others are consumed by a layer (see OptionKind.Layer)
// before the call reaches a driver.
const (
	KindRange       OptionKind = iota + 1 // Range(offset, size)
	KindDeleted                           // Deleted(): address the soft-deleted version
	KindSoftDelete                        // SoftDelete(): Move soft deletes
	KindUndelete                          // Undelete(): Move undeletes
	KindChangeLevel                       // ChangeLevel(): Move to the last nesting level
	KindTarget                            // Target(name): Defrag writes to name
	KindTargetHash                        // TargetHash(alg): Defrag names the target by its hash
	KindHidden                            // Hidden(): the name is an internal item ending in ".hid"
	KindRecursive                         // Recursive(): List yields every item below the directory
)

var kindNames = [...]string{
	KindRange:       "range",
	KindDeleted:     "deleted",
	KindSoftDelete:  "soft-delete",
	KindUndelete:    "undelete",
	KindChangeLevel: "change-level",
	KindTarget:      "target",
	KindTargetHash:  "target-hash",
	KindHidden:      "hidden",
	KindRecursive:   "recursive",
}

// String returns the option's name, as used in errors and span attributes.
func (k OptionKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("option(%d)", uint8(k))
}

// Layer describes what consumes an option of kind k before a driver would
// see it ("a soft-delete layer"), for the error a driver gives when it
// does: "" for the options drivers take themselves.
func (k OptionKind) Layer() string {
	switch k {
	case KindDeleted, KindSoftDelete, KindUndelete:
		return "a soft-delete layer"
	case KindChangeLevel:
		return "a nesting layer"
	}
	return ""
}

// Option changes one call. Build it with Range, Deleted, SoftDelete,
// Undelete, ChangeLevel, Target or TargetHash. The zero Option is invalid.
type Option struct {
	kind   OptionKind
	offset int64
	size   int64
	str    string
}

// Kind returns the kind of the option.
func (o Option) Kind() OptionKind { return o.kind }

// Span returns the offset and size of a Range option (0, 0 for the others).
func (o Option) Span() (offset, size int64) { return o.offset, o.size }

// Arg returns the name of a Target option or the algorithm of a TargetHash
// option ("" for the others).
func (o Option) Arg() string { return o.str }

// String describes the option, for example "range(64,128)".
func (o Option) String() string {
	switch o.kind {
	case KindRange:
		return fmt.Sprintf("range(%d,%d)", o.offset, o.size)
	case KindTarget, KindTargetHash:
		return fmt.Sprintf("%s(%s)", o.kind, o.str)
	}
	return o.kind.String()
}

// Range makes Load return size bytes from offset. A negative offset counts
// from the end, a negative size means to the end; see docs/semantics.md.
func Range(offset, size int64) Option { return Option{kind: KindRange, offset: offset, size: size} }

// Deleted makes Info, Load, Hash, Delete, Move, Defrag and List address
// soft-deleted items. Needs the softdelete layer.
func Deleted() Option { return Option{kind: KindDeleted} }

// SoftDelete makes Move(name, "", SoftDelete()) soft delete name. Needs the
// softdelete layer.
func SoftDelete() Option { return Option{kind: KindSoftDelete} }

// Undelete makes Move(name, "", Undelete()) restore a soft-deleted name.
// Needs the softdelete layer.
func Undelete() Option { return Option{kind: KindUndelete} }

// ChangeLevel makes Move(name, name, ChangeLevel()) move name to the last
// configured nesting level. Needs the nesting layer.
func ChangeLevel() Option { return Option{kind: KindChangeLevel} }

// Target makes Defrag write the new item to name.
func Target(name string) Option { return Option{kind: KindTarget, str: name} }

// TargetHash makes Defrag name the new item by the hex digest of its content
// with algorithm (see HashAlgorithms), in the namespace of the first source.
// It is the default, with "sha256".
func TargetHash(algorithm string) Option { return Option{kind: KindTargetHash, str: algorithm} }

// Hidden makes Info, Load, Store and Delete address an internal item whose
// name ends in ".hid" (HiddenSuffix), such as the quota layer's record
// "quota.hid", which is otherwise an invalid name. Drivers accept it
// through backendkit.Lifecycle.Begin; List never shows hidden items.
func Hidden() Option { return Option{kind: KindHidden} }

// Recursive makes List yield every item below the directory, at any depth,
// in one paged listing: no directories, names relative to the directory
// ("01/23/0123abcd" for List("data", Recursive())), sorted by that name
// byte by byte, skipping any name with an invalid segment. Only drivers
// whose Properties say Flat take it (object stores, where a directory is
// only a prefix of names); the others refuse it with ErrUnsupported. The
// nesting layer uses it to list a nested namespace without a walk.
func Recursive() Option { return Option{kind: KindRecursive} }
