package quota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// record is where the layer keeps the usage inside the store: an item at
// the root holding the usage in bytes as a decimal number, as borgstore's
// posixfs writes its quota.hid.
type record struct {
	name string      // at the root, no "/"
	opts []kv.Option // the options of every call on it
}

// theRecord is the layer's record: borgstore's "quota.hid" at the root, a
// hidden item (kv.Hidden) that List never shows.
var theRecord = record{name: "quota.hid", opts: []kv.Option{kv.Hidden()}}

// theMark is the layer's dirty mark: a hidden item at the root that is
// there while a session that changed the store has not closed cleanly.
var theMark = record{name: "quota-dirty.hid", opts: []kv.Option{kv.Hidden()}}

// settleTimeout bounds the Info calls that settle a call whose outcome is
// unknown, made with a context that the caller can no longer cancel.
const settleTimeout = time.Minute

// When the record is written besides Close: once the usage moved
// PersistDelta bytes since the last write, or PersistInterval passed since
// then, as borgstore does.
const (
	PersistDelta    = 10_000_000
	PersistInterval = 5 * time.Minute
)

// parseRecord reads the usage from the content of a record: a decimal,
// non-negative number, white space around it allowed.
func parseRecord(b []byte) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid quota record %q", b)
	}
	return n, nil
}

// readRecord returns the usage the record holds; found is false when the
// record is missing or invalid (then the store must be scanned).
func (l *Layer) readRecord(ctx context.Context) (usage int64, found bool, err error) {
	return Recorded(ctx, l.next)
}

// Recorded returns the usage that the quota record of the open store b
// holds (borgstore's quota.hid at the root, as the layer and borgstore's
// server keep it), without a quota layer and without writing anything;
// found is false when the store holds no valid record. Give it a store
// without nesting, or one whose nesting configures the root namespace.
func Recorded(ctx context.Context, b kv.Backend) (usage int64, found bool, err error) {
	raw, err := b.Load(ctx, theRecord.name, theRecord.opts...)
	if errors.Is(err, kv.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	usage, err = parseRecord(raw)
	return usage, err == nil, nil
}

// writeRecord stores usage in the record.
func (l *Layer) writeRecord(ctx context.Context, usage int64) error {
	return l.next.Store(ctx, theRecord.name, strconv.AppendInt(nil, usage, 10), theRecord.opts...)
}

// scan returns the bytes held in all the items of the store, the record
// left out, walking every directory from the root.
func (l *Layer) scan(ctx context.Context) (int64, error) {
	var total int64
	dirs := []string{""}
	for len(dirs) > 0 {
		dir := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		for it, err := range l.next.List(ctx, dir) {
			if errors.Is(err, kv.ErrNotFound) && dir != "" {
				break // removed while we walk
			}
			if err != nil {
				return 0, err
			}
			switch {
			case it.Directory:
				dirs = append(dirs, join(dir, it.Name))
			case dir == "" && (it.Name == theRecord.name || it.Name == theMark.name):
			default:
				total += it.Size
			}
		}
	}
	return total, nil
}

// join returns the name of base in dir.
func join(dir, base string) string {
	if dir == "" {
		return base
	}
	return dir + "/" + base
}

// load sets the usage from the record, or, when it is missing or invalid
// or the dirty mark is there, from a scan of the store, which it then
// writes to the record before it removes the mark.
func (l *Layer) load(ctx context.Context) error {
	usage, found, err := l.readRecord(ctx)
	if err != nil {
		return err
	}
	dirty, err := l.next.Info(ctx, theMark.name, theMark.opts...)
	if err != nil {
		return err
	}
	l.marked.Store(dirty.Exists)
	if !found || dirty.Exists {
		if usage, err = l.scan(ctx); err != nil {
			return err
		}
		if err := l.writeRecord(ctx, usage); err != nil {
			return err
		}
		if dirty.Exists {
			if err := l.next.Delete(ctx, theMark.name, theMark.opts...); err != nil && !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			l.marked.Store(false)
		}
	}
	l.mu.Lock()
	l.usage, l.base, l.written = usage, usage, time.Now()
	l.mu.Unlock()
	return nil
}

// persist writes the usage to the record: it adds the change since the
// last write to what the record holds now, so that the changes of another
// process that wrote it meanwhile are kept (as borgstore does), and takes
// the result as the usage. A missing or invalid record is replaced by a
// scan. Unless force is set, persist returns at once while another
// goroutine persists.
func (l *Layer) persist(ctx context.Context, force bool) error {
	if force {
		l.persistMu.Lock()
	} else if !l.persistMu.TryLock() {
		return nil
	}
	defer l.persistMu.Unlock()
	l.mu.Lock()
	base, delta := l.base, l.usage-l.base
	l.mu.Unlock()
	onDisk, found, err := l.readRecord(ctx)
	if err != nil {
		return err
	}
	next := max(onDisk+delta, 0)
	if !found {
		if next, err = l.scan(ctx); err != nil {
			return err
		}
	}
	if err := l.writeRecord(ctx, next); err != nil {
		return err
	}
	l.mu.Lock()
	l.usage += next - (base + delta)
	l.base, l.written = next, time.Now()
	l.mu.Unlock()
	return nil
}

// maybePersist persists the usage when PersistDelta or PersistInterval
// says so. Its error is dropped: the change stays pending, for the next
// write or Close.
func (l *Layer) maybePersist(ctx context.Context) {
	l.mu.Lock()
	d := l.usage - l.base
	due := d >= PersistDelta || d <= -PersistDelta || time.Since(l.written) >= PersistInterval
	l.mu.Unlock()
	if due {
		_ = l.persist(ctx, false)
	}
}

// mark writes the dirty mark before the first change of a session, so
// that a session that does not end with a clean Close leaves it behind
// and the next Open scans the store. The change waits for it; if it cannot
// be written, the change is not made and the error is returned for op on
// name.
func (l *Layer) mark(ctx context.Context, op kv.Op, name string) error {
	if l.marked.Load() {
		return nil
	}
	l.markMu.Lock()
	defer l.markMu.Unlock()
	if l.marked.Load() {
		return nil
	}
	if err := l.next.Store(ctx, theMark.name, []byte("a session is open, or ended without closing"), theMark.opts...); err != nil {
		return backendkit.NewError(op, name, nil, fmt.Errorf("writing the quota layer's dirty mark: %w", err))
	}
	l.marked.Store(true)
	return nil
}
