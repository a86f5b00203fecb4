package kv

import "strconv"

// Op names a method of Backend, for layers that count, trace or log calls
// and for errors. LoadStream is an OpLoad and StoreStream an OpStore: they
// are the same calls, made as streams.
type Op uint8

// The operations: the item calls first, then the store-wide ones.
const (
	OpInfo Op = iota
	OpLoad
	OpStore
	OpDelete
	OpMove
	OpList
	OpHash
	OpDefrag
	OpMkdir
	OpRmdir
	OpCreate
	OpDestroy
	OpOpen
	OpClose
	OpQuota
	// NumOps is the number of Backend methods; the Ops from NumOps on
	// name what happens outside a method, for errors.
	NumOps
	// OpParseURL is the parsing of a store's URL (compose.Open, a driver's
	// FromURL), not a method.
	OpParseURL
	// OpNew is a driver's constructor checking its configuration, not a
	// method.
	OpNew
)

var opNames = [...]string{
	OpInfo:     "info",
	OpLoad:     "load",
	OpStore:    "store",
	OpDelete:   "delete",
	OpMove:     "move",
	OpList:     "list",
	OpHash:     "hash",
	OpDefrag:   "defrag",
	OpMkdir:    "mkdir",
	OpRmdir:    "rmdir",
	OpCreate:   "create",
	OpDestroy:  "destroy",
	OpOpen:     "open",
	OpClose:    "close",
	OpQuota:    "quota",
	OpParseURL: "parse url",
	OpNew:      "new",
}

// String returns the lowercase name of the method, as used in errors: "load".
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}
