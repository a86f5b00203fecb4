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
		w.emit(w.start(name, 0), 0, yield)
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

// emit yields the items of ls, a directory at depth, and then those of its
// subdirectories in order, listing up to cap(w.slots) of them ahead. It
// returns false once yield asked to stop or after an error.
func (w *walker) emit(ls *listing, depth int, yield func(kv.ItemInfo, error) bool) bool {
	<-ls.done
	if ls.err != nil {
		yield(kv.ItemInfo{}, ls.err)
		return false
	}
	for _, it := range ls.items {
		if !yield(it, nil) {
			return false
		}
	}
	subs := ls.subdirs
	ls.items, ls.subdirs = nil, nil // the listing is done with
	ahead := make([]*listing, 0, cap(w.slots))
	started := 0
	for i := range subs {
		for started < len(subs) && started < i+cap(w.slots) {
			ahead = append(ahead, w.start(subs[started], depth+1))
			started++
		}
		next := ahead[0]
		ahead = ahead[1:]
		if !w.emit(next, depth+1, yield) {
			return false
		}
	}
	return true
}
