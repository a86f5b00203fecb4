package memory

import (
	"errors"
	"strings"
	"sync"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Causes of the errors that have no sentinel of their own.
var (
	errIsDir     = errors.New("is a directory")
	errNotDir    = errors.New("not a directory")
	errNotEmpty  = errors.New("directory not empty")
	errIntoSelf  = errors.New("cannot move a directory into itself")
	errDestroyed = errors.New("the store was closed and destroyed during the call")
)

// store is a tree of nodes below root, nil while the store does not
// exist.
type store struct {
	mu    sync.RWMutex
	root  *node
	usage int64 // bytes in all values
}

// node is a directory (children != nil) or an item (value).
type node struct {
	children map[string]*node
	value    []byte
}

func newDir() *node { return &node{children: map[string]*node{}} }

func (n *node) isDir() bool { return n.children != nil }

// info describes n under the name given.
func (n *node) info(name string) kv.ItemInfo {
	if n.isDir() {
		return kv.ItemInfo{Name: name, Exists: true, Directory: true}
	}
	return kv.ItemInfo{Name: name, Exists: true, Size: int64(len(n.value))}
}

// split returns the directory part and the base name of name.
func split(name string) (dir, base string) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// lookup returns the node at name ("" is the root), or nil when it or one
// of its parents is missing or a parent is an item. The caller holds s.mu.
func (s *store) lookup(name string) *node {
	n := s.root
	for name != "" && n != nil {
		if !n.isDir() {
			return nil
		}
		seg, rest, _ := strings.Cut(name, "/")
		n, name = n.children[seg], rest
	}
	return n
}

// mkdirAll returns the directory at name, creating it and its parents. An
// item in the way is kv.ErrExists; a store destroyed since the call began
// (Close and Destroy from other goroutines) is kv.ErrNotOpen. The caller
// holds s.mu for writing.
func (s *store) mkdirAll(op kv.Op, name string) (*node, error) {
	n := s.root
	if n == nil {
		return nil, backendkit.NewError(op, name, kv.ErrNotOpen, errDestroyed)
	}
	for rest := name; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		c, ok := n.children[seg]
		if !ok {
			c = newDir()
			n.children[seg] = c
		} else if !c.isDir() {
			return nil, backendkit.NewError(op, name, kv.ErrExists, errNotDir)
		}
		n = c
	}
	return n, nil
}
