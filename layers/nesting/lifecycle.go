package nesting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

const hexDigits = "0123456789abcdef"

// Create creates the store below and records the levels given to New in
// it (LayoutRecord; without levels, the root at level 0). If the backend
// below benefits from pre-created directories (kv.Properties.Precreate),
// Create also creates the directories of the deepest configured level of every
// namespace ("data/00".."data/ff" for level 1, the 65,536 directories
// "data/00/00".."data/ff/ff" for level 2, the namespace directory itself
// for level 0). It opens the store for that and closes it again, so that
// the store is left closed as Create promises. The Mkdir calls run
// WithConcurrency at a time and are reported WithProgress; the first error
// stops them. A backend that does not benefit from pre-creation (an object
// store) gets the directory of each namespace alone, one Mkdir per
// namespace, so that a namespace lists empty rather than missing on every
// driver.
func (l *Layer) Create(ctx context.Context) error {
	if err := l.next.Create(ctx); err != nil {
		return err
	}
	levels := l.given
	if levels == nil {
		levels = map[string][]int{"": {0}} // every name as it is
	}
	return l.whileOpen(ctx, kv.OpCreate, func() error {
		if err := l.writeRecord(ctx, levels); err != nil {
			return backendkit.NewError(kv.OpCreate, "", nil, fmt.Errorf("recording the layout: %w", err))
		}
		if !kv.PropertiesOf(l.next).Precreate {
			return l.makeNamespaces(ctx)
		}
		var phases []phase
		for _, ns := range l.cfg() {
			if ns.prefix != "" || ns.maxLevel > 0 { // the root exists already
				phases = append(phases, phase{ns: ns, depth: ns.maxLevel})
			}
		}
		err := l.run(ctx, phases, func(ctx context.Context, dir string, _ bool) error {
			return l.next.Mkdir(ctx, dir)
		})
		if err != nil {
			return backendkit.NewError(kv.OpCreate, "", nil, fmt.Errorf("pre-creating nesting directories: %w", err))
		}
		return nil
	})
}

// makeNamespaces makes the directory of every namespace but the root, one
// Mkdir each (on an object store, a marker), so that a namespace lists
// empty, not missing, before its first item and after its last. The store
// is open.
func (l *Layer) makeNamespaces(ctx context.Context) error {
	for _, ns := range l.cfg() {
		if ns.prefix == "" {
			continue
		}
		dir := strings.TrimSuffix(ns.prefix, "/")
		if err := l.next.Mkdir(ctx, dir); err != nil {
			return backendkit.NewError(kv.OpCreate, "", nil, fmt.Errorf("making namespace %s: %w", dir, err))
		}
	}
	return nil
}

// Destroy destroys the store below. If the backend below benefits from
// pre-created directories, so that the store holds a directory tree of
// every nested namespace, Destroy first opens the store and empties and
// removes those directories, deepest first, WithConcurrency at a time and
// reported WithProgress as Create's, then closes it and has the backend
// below destroy what is left (a remote driver would otherwise remove the
// tree one call after the other).
func (l *Layer) Destroy(ctx context.Context) error {
	if kv.PropertiesOf(l.next).Precreate && kv.PropertiesOf(l.next).Remote {
		err := l.whileOpen(ctx, kv.OpDestroy, func() error {
			if err := l.settle(ctx); err != nil {
				return err
			}
			var phases []phase
			for _, ns := range l.cfg() {
				for d := ns.maxLevel; d >= 1; d-- {
					phases = append(phases, phase{ns: ns, depth: d})
				}
			}
			return l.run(ctx, phases, l.clearDir)
		})
		if err != nil {
			return err
		}
	}
	return l.next.Destroy(ctx)
}

// clearDir deletes the items of dir and removes it (leaf) or only removes
// it (an inner directory, emptied by an earlier phase). A missing
// directory is fine; one that cannot be removed, because it holds names
// that are not items, is left to the backend's Destroy.
func (l *Layer) clearDir(ctx context.Context, dir string, leaf bool) error {
	if leaf {
		for info, err := range l.next.List(ctx, dir) {
			if errors.Is(err, kv.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if info.Directory {
				continue
			}
			if err := l.next.Delete(ctx, dir+"/"+info.Name); err != nil && !errors.Is(err, kv.ErrNotFound) {
				return err
			}
		}
	}
	if err := l.next.Rmdir(ctx, dir); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

// whileOpen opens the store below, runs f and closes the store again. A
// store that is open already, or missing, is the error of op.
func (l *Layer) whileOpen(ctx context.Context, op kv.Op, f func() error) error {
	if err := l.next.Open(ctx); err != nil {
		var e *kv.Error
		if errors.As(err, &e) && (errors.Is(err, kv.ErrAlreadyOpen) || errors.Is(err, kv.ErrNoStore)) {
			return backendkit.NewError(op, "", e.Kind, e.Err)
		}
		return err
	}
	return errors.Join(f(), l.next.Close(context.WithoutCancel(ctx)))
}

// phase is the directories of one depth of one namespace: 256^depth of
// them, or the namespace directory itself at depth 0.
type phase struct {
	ns    namespace
	depth int
}

func (p phase) count() int { return 1 << (8 * p.depth) }

// name returns the i-th directory of the phase.
func (p phase) name(i int) string {
	if p.depth == 0 {
		return strings.TrimSuffix(p.ns.prefix, "/")
	}
	var b strings.Builder
	b.Grow(len(p.ns.prefix) + 3*p.depth)
	b.WriteString(p.ns.prefix)
	for lv := p.depth - 1; lv >= 0; lv-- {
		octet := (i >> (8 * lv)) & 0xff
		b.WriteByte(hexDigits[octet>>4])
		b.WriteByte(hexDigits[octet&0xf])
		if lv > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// run calls f for every directory of the phases, the phases one after the
// other and the directories of a phase WithConcurrency at a time, and
// reports the progress over all of them; the first error stops it. f is
// told whether the directory is at the deepest level of its namespace.
func (l *Layer) run(ctx context.Context, phases []phase, f func(ctx context.Context, dir string, leaf bool) error) error {
	total := 0
	for _, p := range phases {
		total += p.count()
	}
	if total == 0 {
		return nil
	}
	pr := progress{report: l.progress, total: total, step: max(1, total/1000)}
	pr.start()
	for _, p := range phases {
		if err := l.runPhase(ctx, p, f, &pr); err != nil {
			return err
		}
	}
	return nil
}

// runPhase runs f over the directories of p, WithConcurrency at a time.
func (l *Layer) runPhase(ctx context.Context, p phase, f func(ctx context.Context, dir string, leaf bool) error, pr *progress) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		n    = p.count()
		leaf = p.depth == p.ns.maxLevel
	)
	for range min(l.concurrency, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, p.name(i), leaf); err != nil {
					cancel(err)
					return
				}
				pr.done()
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// progress reports done/total to a WithProgress callback: first 0, then
// every step, and last total; calls never overlap.
type progress struct {
	report      func(done, total int)
	mu          sync.Mutex
	n           int
	total, step int
}

func (p *progress) start() {
	if p.report != nil {
		p.report(0, p.total)
	}
}

func (p *progress) done() {
	if p.report == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.n%p.step == 0 || p.n == p.total {
		p.report(p.n, p.total)
	}
}
