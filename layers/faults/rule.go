package faults

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/kvcompose/compose/kv"
)

// Mode is how a fired Rule with an error fails the call.
type Mode uint8

// The modes.
const (
	// Refuse fails the call before it reaches the backend below: the
	// request was lost, nothing happened.
	Refuse Mode = iota
	// LoseReply makes the call, then returns the error instead of its
	// result: the work was done, the reply was lost.
	LoseReply
	// CutShort makes a transfer end early, always as an error: Load
	// returns the first half of the value with the error, List yields the
	// first half of its entries and then the error. LoadStream opens the
	// stream, whose Read delivers the first CutAfter bytes and then fails
	// with the error; StoreStream hands the backend below a src that gives
	// the first CutAfter bytes of the caller's src and then fails with the
	// error, so that nothing is stored and the call fails with it (a
	// stream shorter than CutAfter fails at its end). Other operations are
	// refused: a store cut short writes nothing.
	CutShort
)

// String returns the name of the mode.
func (m Mode) String() string {
	switch m {
	case Refuse:
		return "refuse"
	case LoseReply:
		return "lose-reply"
	case CutShort:
		return "cut-short"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Rule says which calls to disturb and how. A call matches when its
// operation is in Ops and its name starts with Prefix; of the matching
// calls, the rule fires on those that Every, After, Probability and Times
// select. A fired rule delays the call by Latency plus up to Jitter, and
// then, if Err is set, fails it as Mode says.
//
// The name of a call is the item's name; for Move, from; for Defrag, the
// name of the first source; store-wide calls (Create, Open, Quota, ...)
// have the name "".
type Rule struct {
	// Ops are the operations the rule applies to; none: all of them.
	Ops []kv.Op
	// Prefix selects the names that start with it; "": every name.
	Prefix string

	// After lets the first After matching calls pass; the rule fires
	// from the next one on.
	After int
	// Every fires on every Every-th matching call after those (the
	// Every-th, the 2·Every-th, ...); 0 or 1: on each.
	Every int
	// Probability, from 0 to 1, fires on a call (selected by After and
	// Every) with this probability, drawn from a generator seeded with
	// Seed; 0 means no draw: always.
	Probability float64
	// Seed seeds the rule's random generator (Probability and Jitter):
	// the same seed gives the same sequence of decisions.
	Seed uint64
	// Times bounds how often the rule fires; 0: no bound.
	Times int

	// Latency delays each call the rule fires on.
	Latency time.Duration
	// Jitter adds a random delay from 0 to Jitter to Latency.
	Jitter time.Duration

	// Err is the error of a call the rule fires on, returned as
	// backendkit.NewError(op, name, Err, ErrInjected); nil: the rule only delays.
	Err error
	// Mode says how the call fails.
	Mode Mode
	// CutAfter is the number of bytes a stream cut short passes before
	// it fails (LoadStream and StoreStream with Mode CutShort); 0: the
	// first Read fails.
	CutAfter int64
}

// validate returns why r is not a valid rule, or "".
func (r *Rule) validate() string {
	for _, op := range r.Ops {
		if op >= kv.NumOps {
			return fmt.Sprintf("operation %v does not exist", op)
		}
	}
	switch {
	case r.After < 0 || r.Every < 0 || r.Times < 0:
		return fmt.Sprintf("After %d, Every %d, Times %d: want 0 or more", r.After, r.Every, r.Times)
	case !(r.Probability >= 0 && r.Probability <= 1):
		return fmt.Sprintf("Probability %v: want 0 to 1", r.Probability)
	case r.CutAfter < 0:
		return fmt.Sprintf("CutAfter %d: want 0 or more", r.CutAfter)
	case r.Latency < 0 || r.Jitter < 0:
		return fmt.Sprintf("Latency %v, Jitter %v: want 0 or more", r.Latency, r.Jitter)
	case r.Mode > CutShort:
		return fmt.Sprintf("unknown %v", r.Mode)
	}
	return ""
}

// rule is a Rule in use: the rule, its operations as a bit set, and the
// state of its counters and generator, guarded by mu.
type rule struct {
	Rule
	ops uint32

	mu    sync.Mutex
	seen  int // matching calls
	fired int
	rnd   *rand.Rand
}

// newRule prepares r, or panics with the reason it is not valid.
func newRule(i int, r Rule) *rule {
	if why := r.validate(); why != "" {
		panic(fmt.Sprintf("faults: rule %d: %s", i, why))
	}
	ru := &rule{Rule: r, ops: math.MaxUint32, rnd: rand.New(rand.NewPCG(r.Seed, r.Seed^0x9e3779b97f4a7c15))}
	if len(r.Ops) > 0 {
		ru.ops = 0
		for _, op := range r.Ops {
			ru.ops |= 1 << op
		}
	}
	return ru
}

// fire counts a call of op on name and reports whether the rule fires on
// it, and with what delay.
func (r *rule) fire(op kv.Op, name string) (fired bool, delay time.Duration) {
	if r.ops&(1<<op) == 0 || !strings.HasPrefix(name, r.Prefix) {
		return false, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	n := r.seen - r.After
	switch {
	case n <= 0,
		r.Every > 1 && n%r.Every != 0,
		r.Times > 0 && r.fired >= r.Times,
		r.Probability > 0 && r.rnd.Float64() >= r.Probability:
		return false, 0
	}
	r.fired++
	delay = r.Latency
	if r.Jitter > 0 {
		delay += time.Duration(r.rnd.Int64N(int64(r.Jitter) + 1))
	}
	return true, delay
}
