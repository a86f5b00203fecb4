package nesting

import (
	"context"
	"iter"
	"sync"

	"github.com/kvcompose/compose/kv"
)

// List lists the directory name ("data/" is taken as "data"). For a
// namespace with nesting levels (List("data") for "data/"), it walks the
// nesting directories and yields the items found at the configured depths,
// named by key (soft-deleted items keep their ".del" suffix), never
// directories, in sorted order. Any other directory is listed as it is.
//
// The walk lists up to WithConcurrency directories at once, ahead of the
// caller, and still yields in order, streaming: it holds at most
// WithConcurrency directory listings per nesting level, never the whole
// namespace. Abandoning the iteration stops the walk; no goroutine
// outlives it.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if err := refuse(kv.OpList, name, opts); err != nil {
		return kv.ErrorSeq(err)
	}
	name = kv.ListDir(name)
	prefix := name
	if name != "" {
		prefix += "/"
	}
	ns := l.lookup(prefix)
	if ns == nil || ns.prefix != prefix || ns.maxLevel == 0 {
		return l.next.List(ctx, name, opts...)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		w := &walker{next: l.next, ctx: ctx, ns: ns, opts: opts, slots: make(chan struct{}, l.concurrency)}
		defer func() {
			cancel()
			w.wg.Wait()
		}()
		entries := make(chan entry, l.concurrency)
		w.wg.Go(func() {
			defer close(entries)
			w.inner(w.start(name, 0), 0, entries)
		})
		w.leaves(entries, yield)
	}
}

// walker lists the nesting directories of one namespace concurrently.
type walker struct {
	next  kv.Backend
	ctx   context.Context // cancelled when the walk ends
	ns    *namespace
	opts  []kv.Option
	slots chan struct{} // one per List call in flight
	wg    sync.WaitGroup
}

// listing is one directory, listed in the background.
type listing struct {
	done    chan struct{} // closed when the fields are set
	items   []kv.ItemInfo // items at the depth of the directory
	subdirs []string      // nesting subdirectories, sorted
	err     error
}

// start lists dir at depth as soon as a slot is free.
func (w *walker) start(dir string, depth int) *listing {
	ls := &listing{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(ls.done)
		select {
		case w.slots <- struct{}{}:
		case <-w.ctx.Done():
			ls.err = kv.NewError(kv.OpList.String(), dir, nil, w.ctx.Err())
			return
		}
		defer func() { <-w.slots }()
		ls.items, ls.subdirs, ls.err = w.list(dir, depth)
	}()
	return ls
}

// list reads the directory dir at depth.
func (w *walker) list(dir string, depth int) (items []kv.ItemInfo, subdirs []string, err error) {
	for info, err := range w.next.List(w.ctx, dir, w.opts...) {
		if err != nil {
			return nil, nil, err
		}
		switch {
		case info.Directory:
			if depth < w.ns.maxLevel && len(info.Name) == 2 {
				if dir != "" {
					info.Name = dir + "/" + info.Name
				}
				subdirs = append(subdirs, info.Name)
			}
		case w.ns.hasLevel(depth):
			items = append(items, info)
		}
	}
	return items, subdirs, nil
}

// entry is one step of the walk in output order: the items of an inner
// nesting directory, a leaf directory to list, or an error.
type entry struct {
	items []kv.ItemInfo
	dir   string
	err   error

	leaf *listing // the listing of dir, once started
}

// inner walks the inner nesting directories (those above the deepest
// level) in order, from ls, a directory at depth: it sends their items and
// the names of the leaf directories to out, listing up to cap(w.slots)
// inner directories ahead. It returns false once the walk is over.
func (w *walker) inner(ls *listing, depth int, out chan<- entry) bool {
	<-ls.done
	if ls.err != nil {
		w.send(out, entry{err: ls.err})
		return false
	}
	if len(ls.items) > 0 && !w.send(out, entry{items: ls.items}) {
		return false
	}
	subs := ls.subdirs
	ls.items, ls.subdirs = nil, nil // the listing is done with
	if depth+1 == w.ns.maxLevel {
		for _, sub := range subs {
			if !w.send(out, entry{dir: sub}) {
				return false
			}
		}
		return true
	}
	ahead := make([]*listing, 0, cap(w.slots))
	started := 0
	for i := range subs {
		for started < len(subs) && started < i+cap(w.slots) {
			ahead = append(ahead, w.start(subs[started], depth+1))
			started++
		}
		next := ahead[0]
		ahead = ahead[1:]
		if !w.inner(next, depth+1, out) {
			return false
		}
	}
	return true
}

// send sends e to out unless the walk is over.
func (w *walker) send(out chan<- entry, e entry) bool {
	select {
	case out <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// leaves yields what the entries from in say, in order: it lists up to
// cap(w.slots) leaf directories ahead of the caller, across the inner
// directories they belong to, so that the walk never waits for the last
// leaf of one inner directory before it starts on the next. It returns
// once yield asked to stop, after an error, or at the end.
func (w *walker) leaves(in <-chan entry, yield func(kv.ItemInfo, error) bool) {
	var (
		queue   []entry // in output order
		pending int     // started leaf listings in queue
	)
	// take adds an entry from in to the queue, starting its listing.
	take := func(e entry) {
		if e.dir != "" {
			e.leaf = w.start(e.dir, w.ns.maxLevel)
			pending++
		}
		queue = append(queue, e)
	}
	for {
		if len(queue) == 0 {
			if in == nil {
				return // in was closed while a leaf was listed
			}
			e, ok := <-in
			if !ok {
				return
			}
			take(e)
		}
		e := queue[0]
		queue = queue[1:]
		if e.leaf != nil {
			// Wait for the listing, taking more entries meanwhile.
			for waiting := true; waiting; {
				more := in
				if pending >= cap(w.slots) {
					more = nil
				}
				select {
				case <-e.leaf.done:
					waiting = false
				case ne, ok := <-more:
					if !ok {
						in = nil
						continue
					}
					take(ne)
				}
			}
			pending--
			e.items, e.err = e.leaf.items, e.leaf.err
		}
		if e.err != nil {
			yield(kv.ItemInfo{}, e.err)
			return
		}
		for _, it := range e.items {
			if !yield(it, nil) {
				return
			}
		}
	}
}
