package backendkit

import "github.com/kvcompose/compose/kv"

// OptionConsumer is implemented by layers that consume per-call options: a
// soft-delete layer consumes KindDeleted, KindSoftDelete and KindUndelete,
// a nesting layer KindChangeLevel. kvtest reads it to know which options a
// stack handles; a layer in any package can declare it.
type OptionConsumer interface {
	ConsumesOptions() []kv.OptionKind
}

// Consumes reports whether a layer in the stack from b consumes options of
// kind k.
func Consumes(b kv.Backend, k kv.OptionKind) bool {
	for x := range kv.Stack(b) {
		if c, ok := x.(OptionConsumer); ok {
			for _, ck := range c.ConsumesOptions() {
				if ck == k {
					return true
				}
			}
		}
	}
	return false
}
