package nesting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kvcompose/compose/kv"
)

const hexDigits = "0123456789abcdef"

// Create creates the store below. If the backend below benefits from
// pre-created directories (kv.Properties.Precreate), Create then opens
// it, creates the directories of the deepest configured level of every
// namespace ("data/00".."data/ff" for level 1, the 65,536 directories
// "data/00/00".."data/ff/ff" for level 2, the namespace directory itself
// for level 0), and closes it again, so that the store is left closed as
// Create promises. The Mkdir calls run WithConcurrency at a time and are
// reported WithProgress; the first error stops them.
func (l *Layer) Create(ctx context.Context) error {
	if err := l.next.Create(ctx); err != nil {
		return err
	}
	if !kv.PropertiesOf(l.next).Precreate {
		return nil
	}
	if err := l.next.Open(ctx); err != nil {
		return err
	}
	err := l.precreate(ctx)
	return errors.Join(err, l.next.Close(context.WithoutCancel(ctx)))
}

// dirPlan lists the directories to pre-create: every namespace contributes
// 256^maxLevel consecutive indices.
type dirPlan struct {
	spaces []namespace
	counts []int
	total  int
}

func (l *Layer) plan() dirPlan {
	var p dirPlan
	for _, ns := range l.spaces {
		n := 1 << (8 * ns.maxLevel)
		if ns.prefix == "" && ns.maxLevel == 0 {
			n = 0 // the root exists already
		}
		p.spaces = append(p.spaces, ns)
		p.counts = append(p.counts, n)
		p.total += n
	}
	return p
}

// name returns the i-th directory of the plan.
func (p dirPlan) name(i int) string {
	k := 0
	for i >= p.counts[k] {
		i -= p.counts[k]
		k++
	}
	ns := p.spaces[k]
	if ns.maxLevel == 0 {
		return strings.TrimSuffix(ns.prefix, "/")
	}
	var b strings.Builder
	b.Grow(len(ns.prefix) + 3*ns.maxLevel)
	b.WriteString(ns.prefix)
	for lv := ns.maxLevel - 1; lv >= 0; lv-- {
		octet := (i >> (8 * lv)) & 0xff
		b.WriteByte(hexDigits[octet>>4])
		b.WriteByte(hexDigits[octet&0xf])
		if lv > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// precreate runs the plan on the open backend below.
func (l *Layer) precreate(ctx context.Context) error {
	p := l.plan()
	if p.total == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		next     atomic.Int64
		mu       sync.Mutex // serializes progress calls
		done     int
		step     = max(1, p.total/1000)
		report   = l.progress
		finished = func() {
			if report == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if done%step == 0 || done == p.total {
				report(done, p.total)
			}
		}
		wg sync.WaitGroup
	)
	if report != nil {
		report(0, p.total)
	}
	for range min(l.concurrency, p.total) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= p.total || ctx.Err() != nil {
					return
				}
				if err := l.next.Mkdir(ctx, p.name(i)); err != nil {
					cancel(err)
					return
				}
				finished()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return kv.NewError("create", "", nil, fmt.Errorf("pre-creating nesting directories: %w", err))
	}
	return nil
}
