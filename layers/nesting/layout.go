package nesting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LayoutRecord is the hidden item at the root of a store in which Create
// records the levels of every namespace, as JSON:
//
//	{"levels":{"config/":[0],"data/":[2]}}
//
// Like every ".hid" name it is invisible to List, to borgstore and to
// Borg 2.
const LayoutRecord = backendkit.LayoutRecord

// layout is the content of LayoutRecord.
type layout struct {
	Levels map[string][]int `json:"levels"`
}

// maxDetectProbes bounds how many empty nesting directories of one depth
// the detection lists before it takes that depth as the deepest.
const maxDetectProbes = 8

// Open opens the store below and settles the levels in effect: the
// caller's (checked against the store's record, or, without a record,
// against the levels of the items the store holds), or the store's own.
// If they cannot be settled the store is closed again and Open fails.
func (l *Layer) Open(ctx context.Context) error {
	if err := l.next.Open(ctx); err != nil {
		return err
	}
	if err := l.settle(ctx); err != nil {
		return errors.Join(err, l.next.Close(context.WithoutCancel(ctx)))
	}
	return nil
}

// Levels returns the levels in effect: after Open, those the store
// records or holds, or the caller's; before, the caller's (or the root at
// level 0).
func (l *Layer) Levels() map[string][]int {
	out := map[string][]int{}
	for _, ns := range l.cfg() {
		out[ns.prefix] = slices.Clone(ns.levels)
	}
	return out
}

// settle sets the levels in effect for an open store below.
func (l *Layer) settle(ctx context.Context) error {
	rec, err := l.readRecord(ctx)
	if err != nil {
		return err
	}
	var levels map[string][]int
	write := false
	switch {
	case rec != nil && l.given == nil:
		levels = rec
	case rec != nil:
		if levels, write, err = l.merge(rec); err != nil {
			return err
		}
	default:
		found, err := l.detect(ctx)
		if err != nil {
			return err
		}
		if l.given == nil {
			levels = found
			levels[""] = []int{0}
			break
		}
		if err := l.fits(found); err != nil {
			return err
		}
		levels, write = l.given, l.change
	}
	spaces, err := parseLevels(levels)
	if err != nil {
		return layoutErr(fmt.Errorf("the levels of the store: %w", err))
	}
	if write {
		if err := l.writeRecord(ctx, levels); err != nil {
			return err
		}
	}
	l.spaces.Store(&spaces)
	return nil
}

// readRecord returns the levels LayoutRecord holds, nil if there is none.
func (l *Layer) readRecord(ctx context.Context) (map[string][]int, error) {
	v, err := l.next.Load(ctx, LayoutRecord, kv.Hidden())
	if errors.Is(err, kv.ErrNotFound) || errors.Is(err, kv.ErrUnsupported) {
		return nil, nil // no record, or a store that keeps none (a REST client)
	}
	if err != nil {
		return nil, err
	}
	var rec layout
	if err := json.Unmarshal(v, &rec); err != nil || rec.Levels == nil {
		return nil, layoutErr(fmt.Errorf("%s is not a layout record: %q", LayoutRecord, v))
	}
	return rec.Levels, nil
}

// writeRecord stores levels in LayoutRecord.
func (l *Layer) writeRecord(ctx context.Context, levels map[string][]int) error {
	v, err := json.Marshal(layout{Levels: levels})
	if err != nil {
		return err
	}
	err = l.next.Store(ctx, LayoutRecord, v, kv.Hidden())
	if errors.Is(err, kv.ErrUnsupported) {
		return nil // a store that keeps no records: Open detects the levels
	}
	return err
}

// merge returns the record with the caller's levels over it, and whether
// they change it: a change is an error without WithLevelChange, and so is
// one that drops a recorded level.
func (l *Layer) merge(rec map[string][]int) (map[string][]int, bool, error) {
	recorded, err := parseLevels(rec)
	if err != nil {
		return nil, false, layoutErr(fmt.Errorf("the levels %s records: %w", LayoutRecord, err))
	}
	levels := maps.Clone(rec)
	changed := false
	for _, prefix := range slices.Sorted(maps.Keys(l.given)) {
		want, have := l.given[prefix], rec[prefix]
		parent := lookupIn(recorded, prefix)
		if slices.Equal(want, have) || have == nil && parent != nil && slices.Equal(parent.levels, []int{0}) && slices.Equal(want, []int{0}) {
			continue // as recorded, or at level 0 as its flat parent keeps it
		}
		if !l.change {
			if have == nil {
				return nil, false, layoutErr(fmt.Errorf("namespace %q=%v is not in the store's layout (%s); ask for a level change (WithLevelChange, kvcompose --change-levels) to add it",
					prefix, want, describe(rec)))
			}
			return nil, false, layoutErr(fmt.Errorf("levels %q=%v contradict the store's %q=%v (layout %s); ask for a level change (WithLevelChange, kvcompose --change-levels) to change them",
				prefix, want, prefix, have, describe(rec)))
		}
		if have == nil && parent != nil && parent.hasLevel(0) && !slices.Contains(want, 0) {
			// The items of the new namespace were the parent's, as named.
			return nil, false, layoutErr(fmt.Errorf("levels %q=%v would not find what %q holds at level 0 under namespace %q: keep level 0 first (%q=0,%d)",
				prefix, want, prefix, parent.prefix, prefix, want[len(want)-1]))
		}
		for _, lv := range have {
			if !slices.Contains(want, lv) {
				return nil, false, layoutErr(fmt.Errorf("levels %q=%v drop level %d, where the store keeps items of %q: keep it in the list (%v) until they are moved",
					prefix, want, lv, prefix, append(slices.Clone(have), want[len(want)-1])))
			}
		}
		levels[prefix] = want
		changed = true
	}
	return levels, changed, nil
}

// fits checks the caller's levels against those found in a store without a
// record: every nested namespace found must be configured with every level
// it holds items at, so that no item is written where its namesakes cannot
// be found.
func (l *Layer) fits(found map[string][]int) error {
	given := l.cfg()
	for _, prefix := range slices.Sorted(maps.Keys(found)) {
		have := found[prefix]
		ns := lookupIn(given, prefix)
		if ns == nil {
			continue // out of the caller's reach
		}
		for _, lv := range have {
			if lv == 0 && ns.prefix != prefix {
				continue
			}
			if ns.prefix != prefix || !ns.hasLevel(lv) {
				return layoutErr(fmt.Errorf("the store holds %q at level %d (it records no layout; found %s), which levels %s would not find",
					prefix, lv, describe(found), describe(l.given)))
			}
		}
	}
	return nil
}

// detect finds the levels of the namespaces below the root of a store
// without a record: for each directory at the root, the depths of nesting
// directories (two hex digits) at which it holds items, and the deepest
// one. It lists a few directories per namespace.
func (l *Layer) detect(ctx context.Context) (map[string][]int, error) {
	found := map[string][]int{}
	root, err := l.listDir(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, e := range root {
		if !e.Directory {
			continue
		}
		levels, err := l.detectNamespace(ctx, e.Name)
		if err != nil {
			return nil, err
		}
		found[e.Name+"/"] = levels
	}
	return found, nil
}

// detectNamespace returns the levels of the namespace directory dir.
func (l *Layer) detectNamespace(ctx context.Context, dir string) ([]int, error) {
	var levels []int
	entries, err := l.listDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	for depth := 0; ; depth++ {
		items, subdirs := split2(entries)
		if items && (len(levels) == 0 || levels[len(levels)-1] != depth) {
			levels = append(levels, depth)
		}
		if len(subdirs) == 0 || depth == MaxLevel {
			if len(levels) == 0 || levels[len(levels)-1] != depth {
				levels = append(levels, depth) // the deepest level, empty
			}
			return levels, nil
		}
		// Descend into the first nesting directory that holds anything.
		var next []kv.ItemInfo
		for i, sub := range subdirs {
			if i == maxDetectProbes {
				break
			}
			if next, err = l.listDir(ctx, dir+"/"+sub); err != nil {
				return nil, err
			}
			if len(next) > 0 {
				dir += "/" + sub
				break
			}
		}
		if len(next) == 0 {
			// Empty nesting directories: their depth is the deepest level.
			return append(levels, depth+1), nil
		}
		entries = next
	}
}

// split2 reports whether entries hold items, and returns their nesting
// directories.
func split2(entries []kv.ItemInfo) (items bool, subdirs []string) {
	for _, e := range entries {
		switch {
		case !e.Directory:
			items = true
		case len(e.Name) == 2 && strings.Trim(e.Name, hexDigits) == "":
			subdirs = append(subdirs, e.Name)
		}
	}
	return items, subdirs
}

// listDir lists dir below, a missing directory as empty.
func (l *Layer) listDir(ctx context.Context, dir string) ([]kv.ItemInfo, error) {
	var out []kv.ItemInfo
	for info, err := range l.next.List(ctx, dir) {
		if errors.Is(err, kv.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// describe formats levels as NS=L,L ... for messages.
func describe(levels map[string][]int) string {
	var parts []string
	for _, prefix := range slices.Sorted(maps.Keys(levels)) {
		ls := make([]string, len(levels[prefix]))
		for i, lv := range levels[prefix] {
			ls[i] = fmt.Sprint(lv)
		}
		parts = append(parts, strconv.Quote(prefix)+"="+strings.Join(ls, ","))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// ErrLayout is the error of Open when the caller's levels contradict the
// store's layout, or the layout record cannot be read.
var ErrLayout = errors.New("nesting layout mismatch")

func layoutErr(err error) error {
	return backendkit.NewError(kv.OpOpen, "", ErrLayout, err)
}
