//go:build !unix

package benchtest

import "testing"

// CPU reports nothing where the process's CPU time is not at hand.
func CPU(*testing.B) {}
