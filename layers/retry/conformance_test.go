package retry_test

import (
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/retry"
	"github.com/kvcompose/compose/layers/softdelete"
)

// fast retries at once, so that the suites do not wait.
var fast = retry.Config{InitialBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}

// unambiguous are the operations a faults rule may fail under the suites
// without changing what they check. Not Close, which is not retried (a
// driver is closed whatever Close returns). Not Delete, Move, Rmdir,
// Destroy and Open: for them, a not-found (no store, already open) answer
// on a retry counts as done, so the suites' "delete of a missing item is
// not found" would see a success when the first try failed; their own
// tests are in retry_test.go.
var unambiguous = []kv.Op{
	kv.OpInfo, kv.OpLoad, kv.OpStore, kv.OpList, kv.OpHash,
	kv.OpDefrag, kv.OpMkdir, kv.OpCreate, kv.OpQuota,
}

// oneInThree refuses one call in three with kv.ErrConnection.
func oneInThree() faults.Rule {
	return faults.Rule{Ops: unambiguous, Every: 3, Err: kv.ErrConnection}
}

// TestBackend runs the driver conformance suite on the layer alone over
// the memory driver, and over a faults layer that refuses one call in
// three with kv.ErrConnection: the suite must not see the faults.
func TestBackend(t *testing.T) {
	t.Run("alone", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return retry.New(memory.New(""), retry.Config{}) })
	})
	t.Run("over-faults", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			return retry.New(faults.New(memory.New(""), oneInThree()), fast)
		})
	})
}

// TestStack runs the stack conformance suite on softdelete over nesting
// over retry over a faults layer that refuses one call in three, in the
// order compose builds.
func TestStack(t *testing.T) {
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		l, err := nesting.New(retry.New(faults.New(memory.New(""), oneInThree()), fast), levels)
		if err != nil {
			t.Fatal(err)
		}
		return softdelete.New(l)
	})
}
