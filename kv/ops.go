package kv

import "strconv"

// Op names a method of Backend, for layers that count, trace or log calls.
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
	NumOps // the number of operations, not an operation
)

var opNames = [NumOps]string{
	OpInfo:    "info",
	OpLoad:    "load",
	OpStore:   "store",
	OpDelete:  "delete",
	OpMove:    "move",
	OpList:    "list",
	OpHash:    "hash",
	OpDefrag:  "defrag",
	OpMkdir:   "mkdir",
	OpRmdir:   "rmdir",
	OpCreate:  "create",
	OpDestroy: "destroy",
	OpOpen:    "open",
	OpClose:   "close",
	OpQuota:   "quota",
}

// String returns the lowercase name of the method, as used in errors: "load".
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}
