package observe

import (
	"runtime/debug"
	"sync"
)

// Module is the path of the kvcompose module.
const Module = "github.com/kvcompose/compose"

// Version returns the version of the kvcompose module in the running
// binary, as the Go tool recorded it ("v1.2.3", or a pseudo-version): the
// main module's when kvcompose is the main module ("(devel)" when the Go
// tool recorded none, as in tests and go run), else the dependency's (a
// replaced one included). It is "" when the binary carries no build
// information. It is read once.
var Version = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionIn(bi)
})

// versionIn returns the version of Module in bi, "" when bi does not
// list it.
func versionIn(bi *debug.BuildInfo) string {
	if bi.Main.Path == Module {
		if bi.Main.Version == "" {
			return "(devel)"
		}
		return bi.Main.Version
	}
	for _, m := range bi.Deps {
		if m.Path != Module {
			continue
		}
		if m.Replace != nil && m.Replace.Version != "" {
			return m.Replace.Version
		}
		if m.Version == "" {
			return "(devel)"
		}
		return m.Version
	}
	return ""
}
