package quota_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/quota"
	"github.com/kvcompose/compose/layers/retry"
	"github.com/kvcompose/compose/layers/softdelete"
)

// fastRetry retries at once, a few times.
var fastRetry = retry.Config{MaxTries: 3, InitialBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}

// faulty returns a quota layer with limit over a retry layer over a
// faults layer with rules over d, a created memory store, opened.
func faulty(t *testing.T, d kv.Backend, limit int64, rules ...faults.Rule) *quota.Layer {
	t.Helper()
	l := quota.New(retry.New(faults.New(d, rules...), fastRetry), limit)
	if err := l.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	return l
}

// scanned returns the bytes the items of d hold, opening d for it; the
// layer's hidden items at the root are left out.
func scanned(t *testing.T, d kv.Backend) int64 {
	t.Helper()
	var n int64
	withDriver(t, d, func() {
		n = stored(t, d)
		for _, name := range []string{quota.RecordName, "quota-dirty.hid"} {
			info, err := d.Info(t.Context(), name, kv.Hidden())
			if err != nil {
				t.Fatal(err)
			}
			if kvListsHidden(t, d) {
				n -= info.Size
			}
		}
	})
	return n
}

// kvListsHidden reports whether d's List shows the hidden items at the
// root (the memory driver does).
func kvListsHidden(t *testing.T, d kv.Backend) bool {
	for it, err := range d.List(t.Context(), "") {
		if err == nil && it.Name == quota.RecordName {
			return true
		}
	}
	return false
}

// TestMoveThatFoundNothing is the case of issue 18: with the retry layer
// below the quota, an Undelete or a SoftDelete whose first try lost its
// reply and whose retry found nothing was reported done, and the quota
// took the size of the live item off for a Move that changed nothing:
// 400 -> 0 -> -400 -> -800, and then a store past the limit passed.
func TestMoveThatFoundNothing(t *testing.T) {
	d := newStore(t)
	lost := faults.Rule{Ops: []kv.Op{kv.OpMove}, Err: kv.ErrConnection, Mode: faults.LoseReply, Every: 2}
	q := faulty(t, d, 1000, lost)
	s := softdelete.New(q)
	ctx := t.Context()
	mustStore(t, s, "ns/x", 400)
	mustStore(t, s, "ns/y", 100)
	if err := s.Move(ctx, "ns/y", "", kv.SoftDelete()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		// ns/x.del is missing: nothing moves, whatever the retry says.
		_ = s.Move(ctx, "ns/x", "", kv.Undelete())
		// ns/y is missing, ns/y.del is there: nothing moves either.
		_ = s.Move(ctx, "ns/y", "", kv.SoftDelete())
		if got := usage(t, q); got != 500 {
			t.Errorf("usage after %d rounds of moves of missing items: %d, want 500", i+1, got)
		}
	}
	if err := s.Store(ctx, "ns/big", make([]byte, 501)); !errors.Is(err, kv.ErrQuotaExceeded) {
		t.Errorf("a store past the limit: %v, want %v", err, kv.ErrQuotaExceeded)
	}
	mustClose(t, q)
	if got, held := parse(readRecordOf(t, d)), scanned(t, d); got != held || held != 500 {
		t.Errorf("record %d, store %d, want 500", got, held)
	}
}

// readRecordOf reads the record of d, opening d for it.
func readRecordOf(t *testing.T, d kv.Backend) string {
	t.Helper()
	var s string
	withDriver(t, d, func() { s = readRecord(t, d) })
	return s
}

// TestLostReplies checks calls whose work was done but whose every reply
// was lost (the call fails with kv.ErrConnection after its tries): the
// quota settles them with an Info and counts what they did; and calls
// refused before they reached the store, which changed nothing.
func TestLostReplies(t *testing.T) {
	for _, mode := range []faults.Mode{faults.LoseReply, faults.Refuse} {
		t.Run(mode.String(), func(t *testing.T) {
			d := newStore(t)
			ctx := t.Context()
			rule := faults.Rule{Ops: []kv.Op{kv.OpStore, kv.OpDelete, kv.OpMove}, Prefix: "ns/", Err: kv.ErrConnection, Mode: mode}
			plain := faulty(t, d, -1)
			mustStore(t, plain, "ns/a", 300)
			mustStore(t, plain, "ns/b", 200)
			mustStore(t, plain, "ns/c", 100)
			mustClose(t, plain)
			q := faulty(t, d, -1, rule)
			calls := map[string]error{
				"store":     q.Store(ctx, "ns/new", make([]byte, 50)),
				"overwrite": q.Store(ctx, "ns/a", make([]byte, 10)),
				"delete":    q.Delete(ctx, "ns/b"),
				"move":      q.Move(ctx, "ns/c", "ns/a"),
			}
			for call, err := range calls {
				if !errors.Is(err, kv.ErrConnection) {
					t.Errorf("%s: %v, want %v", call, err, kv.ErrConnection)
				}
			}
			want := stored(t, q)
			if got := usage(t, q); got != want {
				t.Errorf("usage %d, the store holds %d", got, want)
			}
			mustClose(t, q)
			if got, held := parse(readRecordOf(t, d)), scanned(t, d); got != held {
				t.Errorf("record %d, store %d", got, held)
			}
		})
	}
}

// TestRandomFaults runs random calls (streams of known and unknown sizes
// among them) through softdelete, quota, retry and
// faults that refuse or lose the reply of a third of the changes, with
// sessions that end in a crash (no Close) now and then. After every
// session the usage equals a scan of the store and is never negative;
// after a crash the next Open finds the dirty mark and scans.
func TestRandomFaults(t *testing.T) {
	d := newStore(t)
	ctx := t.Context()
	rnd := rand.New(rand.NewPCG(18, 6))
	for session := range 12 {
		rules := []faults.Rule{
			{Ops: []kv.Op{kv.OpStore, kv.OpDelete, kv.OpMove}, Prefix: "ns/", Probability: 0.2, Seed: uint64(session), Err: kv.ErrConnection, Mode: faults.LoseReply},
			{Ops: []kv.Op{kv.OpStore, kv.OpDelete, kv.OpMove}, Prefix: "ns/", Probability: 0.1, Seed: uint64(session) + 100, Err: kv.ErrConnection, Mode: faults.Refuse},
		}
		q := faulty(t, d, 20_000, rules...)
		s := softdelete.New(q)
		var wg sync.WaitGroup
		for w := range 4 {
			seed := rnd.Uint64()
			wg.Go(func() {
				r := rand.New(rand.NewPCG(seed, uint64(w)))
				for range 60 {
					name := fmt.Sprintf("ns/%d", r.IntN(12))
					switch r.IntN(7) {
					case 0, 1:
						_ = s.Store(ctx, name, make([]byte, r.IntN(1500)))
					case 5, 6:
						n := r.IntN(1500)
						size := int64(n)
						if r.IntN(2) == 0 {
							size = -1
						}
						_ = s.StoreStream(ctx, name, bytes.NewReader(make([]byte, n)), size)
					case 2:
						_ = s.Delete(ctx, name)
					case 3:
						_ = s.Move(ctx, name, "", kv.SoftDelete())
					case 4:
						_ = s.Move(ctx, name, "", kv.Undelete())
					}
					if q, _ := q.Quota(ctx); q.Usage < 0 || q.Usage > 20_000 {
						t.Errorf("usage %d", q.Usage)
					}
				}
			})
		}
		wg.Wait()
		if got, held := usage(t, q), stored(t, q); got != held {
			t.Errorf("session %d: usage %d, the store holds %d", session, got, held)
		}
		if session%3 == 2 {
			// A crash: the layer is dropped without Close, the record
			// holds what it held; the driver is closed below it.
			if err := d.Close(ctx); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mustClose(t, q)
		if got, held := parse(readRecordOf(t, d)), scanned(t, d); got != held {
			t.Errorf("session %d: record %d, store %d", session, got, held)
		}
	}
}

// TestCrashRescan checks the dirty mark: a session that changed the store
// and did not close leaves it, and the next Open scans (the record had
// missed the last changes); a session that only read leaves none, and a
// clean Close removes it.
func TestCrashRescan(t *testing.T) {
	d := newStore(t)
	ctx := t.Context()
	dirty := func() bool {
		var there bool
		withDriver(t, d, func() {
			info, err := d.Info(ctx, "quota-dirty.hid", kv.Hidden())
			if err != nil {
				t.Fatal(err)
			}
			there = info.Exists
		})
		return there
	}
	l := open(t, d, -1)
	mustStore(t, l, "ns/a", 100)
	mustClose(t, l)
	if dirty() {
		t.Error("the mark stayed after a clean close")
	}
	l = open(t, d, -1)
	if _, err := l.Load(ctx, "ns/a"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil { // a crash of a session that only read
		t.Fatal(err)
	}
	if dirty() {
		t.Error("a session that only read left a mark")
	}
	l = open(t, d, -1)
	mustStore(t, l, "ns/b", 250)         // not written to the record: below PersistDelta
	if err := d.Close(ctx); err != nil { // a crash
		t.Fatal(err)
	}
	if !dirty() {
		t.Fatal("a session that changed the store and crashed left no mark")
	}
	if got := readRecordOf(t, d); got != "100" {
		t.Errorf("record after the crash: %s, want 100 (the last clean close)", got)
	}
	l = open(t, d, -1)
	if got := usage(t, l); got != 350 {
		t.Errorf("usage after the crash: %d, want 350 from a scan", got)
	}
	mustClose(t, l)
	if dirty() {
		t.Error("the mark stayed after the scan and a clean close")
	}
}

// TestReservationsNotPersisted checks that the growth of a Store in flight
// never reaches the record: the record is written while a Store of 1 MB
// waits below the layer, and holds only what was stored.
func TestReservationsNotPersisted(t *testing.T) {
	d := newStore(t)
	ctx := t.Context()
	hold := make(chan struct{})
	inside := make(chan struct{})
	slow := &blockingStore{Backend: d, name: "ns/slow", inside: inside, hold: hold}
	l := quota.New(slow, -1)
	if err := l.Open(ctx); err != nil {
		t.Fatal(err)
	}
	mustStore(t, l, "ns/a", 100)
	done := make(chan error)
	go func() { done <- l.Store(ctx, "ns/slow", make([]byte, quota.PersistDelta+1)) }()
	<-inside
	mustStore(t, l, "ns/b", quota.PersistDelta) // due: the record is written now
	if got := readRecord(t, d); parse(got) != 100+quota.PersistDelta {
		t.Errorf("record with a Store in flight: %s, want %d (no reservation)", got, 100+quota.PersistDelta)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
}

// blockingStore holds a Store of name until hold is closed, after
// closing inside.
type blockingStore struct {
	kv.Backend
	name         string
	inside, hold chan struct{}
}

func (b *blockingStore) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if name == b.name {
		close(b.inside)
		<-b.hold
	}
	return b.Backend.Store(ctx, name, value, opts...)
}

// TestAliasesConcurrent stores one file of a posixfs store concurrently
// under its name and under the spellings that a file system takes for it
// ("./data/x", "data/./x", "data//x"), which took different per-name locks
// and drifted the usage: every alias is kv.ErrInvalidName, and the usage
// equals the bytes the store holds.
func TestAliasesConcurrent(t *testing.T) {
	drv, err := posixfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	const limit = 1 << 20
	l := open(t, drv, limit)
	ctx := t.Context()
	names := []string{"data/x", "./data/x", "data/./x", "data//x", "data/x/."}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 18))
			for range 100 {
				name := names[r.IntN(len(names))]
				err := l.Store(ctx, name, make([]byte, r.IntN(64<<10)))
				if name != "data/x" && !errors.Is(err, kv.ErrInvalidName) {
					t.Errorf("store %q: %v, want %v", name, err, kv.ErrInvalidName)
				}
			}
		})
	}
	wg.Wait()
	if got, held := usage(t, l), stored(t, l); got != held {
		t.Errorf("usage %d, the store holds %d", got, held)
	}
	mustClose(t, l)
}

// TestHiddenNotCounted checks that a hidden item (kv.Hidden) stored
// through the layer is no value: it does not count, as no scan sees it,
// and it leaves the session clean.
func TestHiddenNotCounted(t *testing.T) {
	d := newStore(t)
	ctx := t.Context()
	l := open(t, d, 100)
	mustStore(t, l, "ns/a", 10)
	if err := l.Store(ctx, "layout.hid", make([]byte, 500), kv.Hidden()); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, l); got != 10 {
		t.Errorf("usage with a hidden item: %d, want 10", got)
	}
	if err := l.Delete(ctx, "layout.hid", kv.Hidden()); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, l); got != 10 {
		t.Errorf("usage after deleting a hidden item: %d, want 10", got)
	}
	mustClose(t, l)
	withDriver(t, d, func() {
		if info, _ := d.Info(ctx, "quota-dirty.hid", kv.Hidden()); info.Exists {
			t.Error("the session left its dirty mark")
		}
	})
}
