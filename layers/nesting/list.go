package nesting

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// List lists the directory name ("data/" is taken as "data"). For a
// namespace with nesting levels (List("data") for "data/"), it yields the
// items found at the configured levels, named by key (soft-deleted items
// keep their ".del" suffix), never directories, in sorted order, each key
// once even while it sits at two levels (a level change in progress). Any
// other directory is listed as it is.
//
// When the driver below is flat (kv.Properties.Flat: an object store), each
// level is one paged listing of the whole namespace (kv.Recursive), whose
// names already sort as the keys do; anything that is not an item at that
// level is skipped. Otherwise each level is a walk of the nesting
// directories, which lists up to WithConcurrency directories at once, ahead
// of the caller, and still yields in order, streaming: it holds at most
// WithConcurrency directory listings per nesting level, never the whole
// namespace. A namespace with several levels (during a migration) is
// listed once per level, and the sorted lists are merged.
//
// Abandoning the iteration stops the listings; no goroutine outlives it.
// An item that the caller itself moves to another level while iterating
// (ChangeLevel on each key as it is yielded) is yielded once. One that
// another goroutine or process moves while the listing passes it may be
// missed (docs/semantics.md, Nesting).
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if err := refuse(kv.OpList, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	name = backendkit.ListDir(name)
	prefix := name
	if name != "" {
		prefix += "/"
	}
	ns := l.lookup(prefix)
	if ns == nil || ns.prefix != prefix || ns.maxLevel == 0 {
		return l.next.List(ctx, name, opts...)
	}
	if backendkit.Has(opts, kv.KindRecursive) {
		return backendkit.ErrorSeq(backendkit.NewError(kv.OpList, name, kv.ErrUnsupported,
			errors.New("a nested namespace lists its items by key; recursive does not apply")))
	}
	flat := kv.PropertiesOf(l.next).Flat
	streams := make([]iter.Seq2[kv.ItemInfo, error], len(ns.levels))
	for i, lv := range ns.levels {
		switch {
		case flat:
			streams[i] = l.flatLevel(ctx, name, lv, opts)
		case lv == 0:
			streams[i] = l.topLevel(ctx, name, opts)
		default:
			streams[i] = l.walk(ctx, name, lv, opts)
		}
	}
	if len(streams) == 1 {
		return streams[0]
	}
	return merge(streams)
}

// flatLevel yields the items of the namespace directory dir at level, by
// key, from one recursive listing of dir.
func (l *Layer) flatLevel(ctx context.Context, dir string, level int, opts []kv.Option) iter.Seq2[kv.ItemInfo, error] {
	opts = append(opts[:len(opts):len(opts)], kv.Recursive())
	return func(yield func(kv.ItemInfo, error) bool) {
		for info, err := range l.next.List(ctx, dir, opts...) {
			if err != nil {
				yield(kv.ItemInfo{}, err)
				return
			}
			key, ok := keyAt(info.Name, level)
			if !ok || info.Directory {
				continue
			}
			info.Name = key
			if !yield(info, nil) {
				return
			}
		}
	}
}

// keyAt returns the key of rel, a name relative to a namespace directory,
// if rel is an item at level: level directories, each the next two
// characters of the key, then the key.
func keyAt(rel string, level int) (string, bool) {
	if len(rel) < 5*level {
		return "", false
	}
	key := rel[3*level:]
	for i := range level {
		if rel[3*i+2] != '/' || rel[3*i:3*i+2] != key[2*i:2*i+2] {
			return "", false
		}
	}
	for i := range len(key) {
		if key[i] == '/' {
			return "", false
		}
	}
	return key, true
}

// topLevel yields the items directly in the namespace directory dir.
func (l *Layer) topLevel(ctx context.Context, dir string, opts []kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		for info, err := range l.next.List(ctx, dir, opts...) {
			if err == nil && info.Directory {
				continue
			}
			if !yield(info, err) || err != nil {
				return
			}
		}
	}
}

// walk yields the items of the namespace directory dir at level (at least
// 1), walking its nesting directories.
func (l *Layer) walk(ctx context.Context, dir string, level int, opts []kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		w := &walker{next: l.next, ctx: ctx, target: level, opts: opts, slots: make(chan struct{}, l.concurrency)}
		defer func() {
			cancel()
			w.wg.Wait()
		}()
		entries := make(chan entry, l.concurrency)
		w.wg.Go(func() {
			defer close(entries)
			w.inner(w.start(dir, 0), 0, entries)
		})
		w.leaves(entries, yield)
	}
}

// merge yields the items of streams, each sorted by name, in sorted order,
// each name once (from the first stream that has it: the first level in
// probing order), and stops at the first error.
func merge(streams []iter.Seq2[kv.ItemInfo, error]) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		type head struct {
			next func() (kv.ItemInfo, error, bool)
			cur  kv.ItemInfo
			ok   bool
		}
		heads := make([]head, len(streams))
		// advance moves head i on; it reports false after an error,
		// which it has yielded.
		advance := func(i int) bool {
			var err error
			heads[i].cur, err, heads[i].ok = heads[i].next()
			if err != nil {
				yield(kv.ItemInfo{}, err)
				return false
			}
			return true
		}
		for i, s := range streams {
			next, stop := iter.Pull2(s)
			defer stop()
			heads[i].next = next
			if !advance(i) {
				return
			}
		}
		last, started := "", false
		for {
			best := -1
			for i := range heads {
				if heads[i].ok && (best < 0 || heads[i].cur.Name < heads[best].cur.Name) {
					best = i
				}
			}
			if best < 0 {
				return
			}
			it := heads[best].cur
			if !advance(best) {
				return
			}
			if started && it.Name <= last {
				continue // at two levels, or moved on while listed
			}
			last, started = it.Name, true
			if !yield(it, nil) {
				return
			}
		}
	}
}

// walker lists the nesting directories of one namespace concurrently.
type walker struct {
	next   kv.Backend
	ctx    context.Context // cancelled when the walk ends
	target int             // the level whose items the walk yields
	opts   []kv.Option
	slots  chan struct{} // one per List call in flight
	wg     sync.WaitGroup
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
			ls.err = backendkit.NewError(kv.OpList, dir, nil, w.ctx.Err())
			return
		}
		defer func() { <-w.slots }()
		ls.items, ls.subdirs, ls.err = w.list(dir, depth)
	}()
	return ls
}

// list reads the directory dir at depth.
func (w *walker) list(dir string, depth int) (items []kv.ItemInfo, subdirs []string, err error) {
	var pairs string // what the keys of items at the target depth start with
	if depth == w.target {
		pairs = strings.ReplaceAll(dir[len(dir)-(3*depth-1):], "/", "")
	}
	for info, err := range w.next.List(w.ctx, dir, w.opts...) {
		if err != nil {
			return nil, nil, err
		}
		switch {
		case info.Directory:
			if depth < w.target && len(info.Name) == 2 {
				if dir != "" {
					info.Name = dir + "/" + info.Name
				}
				subdirs = append(subdirs, info.Name)
			}
		case depth == w.target && strings.HasPrefix(info.Name, pairs):
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
	if depth+1 == w.target {
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
			e.leaf = w.start(e.dir, w.target)
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
