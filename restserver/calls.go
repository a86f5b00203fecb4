package restserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/layers/nesting"
)

// checkName answers 400 unless name is a valid item name (or the root,
// where root is true); the driver checks again.
func (q *request) checkName(op kv.Op, name string, root bool) bool {
	check := kv.ValidateName
	if root {
		check = kv.ValidateDirName
	}
	if err := check(name); err != nil {
		q.fail(backendkit.NewError(op, name, nil, err))
		return false
	}
	return true
}

// post answers POST: create, move, mkdir, hash, quota, defrag, or a store.
func (q *request) post() {
	ctx, qs, h := q.r.Context(), q.r.URL.Query(), q.h
	switch cmd := qs.Get("cmd"); cmd {
	case restproto.CmdCreate:
		q.done(h.lifecycle(ctx, h.b.Create))
	case restproto.CmdMove:
		from, to := qs.Get("current"), qs.Get("new")
		if from == "" || to == "" {
			q.badRequest("Missing current or new name for move")
			return
		}
		if q.checkName(kv.OpMove, from, false) && q.checkName(kv.OpMove, to, false) {
			q.done(h.item(ctx, func() error { return h.b.Move(ctx, from, to) }))
		}
	case restproto.CmdMkdir:
		if q.checkName(kv.OpMkdir, q.name, true) {
			q.done(h.item(ctx, func() error { return h.b.Mkdir(ctx, q.name) }))
		}
	case restproto.CmdHash:
		if q.name == "" {
			q.badRequest("Missing name for hash")
			return
		}
		if !q.checkName(kv.OpHash, q.name, false) {
			return
		}
		var sum string
		err := h.item(ctx, func() (err error) {
			sum, err = h.b.Hash(ctx, q.name, qs.Get("algorithm"))
			return err
		})
		q.answer(err, "text/plain", []byte(sum))
	case restproto.CmdQuota:
		var quota kv.Quota
		err := h.item(ctx, func() (err error) {
			quota, err = h.b.Quota(ctx)
			return err
		})
		body, _ := json.Marshal(restproto.Quota{Limit: quota.Limit, Usage: quota.Usage})
		q.answer(err, "application/json", body)
	case restproto.CmdDefrag:
		q.defrag()
	case "":
		if q.name == "" {
			q.badRequest("Bad Request: no name to store")
			return
		}
		q.store()
	default:
		q.badRequest("Bad Request: unknown cmd " + strconv.Quote(cmd))
	}
}

// done answers 200 when err is nil, else err's status.
func (q *request) done(err error) {
	if err != nil {
		q.fail(err)
		return
	}
	q.ok()
}

// answer sends body when err is nil, else err's status.
func (q *request) answer(err error, contentType string, body []byte) {
	if err != nil {
		q.fail(err)
		return
	}
	q.reply(http.StatusOK, contentType, body)
}

// quotaCheckSize is the smallest Content-Length fitsQuota checks: a
// smaller body costs less than the check, and the quota layer refuses it
// anyway once read.
const quotaCheckSize = 64 << 10

// fitsQuota refuses a store whose Content-Length alone cannot fit the
// quota, before its body is read: more than the limit, or more than the
// free space plus what the item it replaces holds. Where the store does
// not know its quota, the quota layer decides as the value is stored.
func (q *request) fitsQuota() error {
	n := q.r.ContentLength
	if n < quotaCheckSize {
		return nil
	}
	ctx, b := q.r.Context(), q.h.b
	var quota kv.Quota
	if err := q.h.item(ctx, func() (err error) {
		quota, err = b.Quota(ctx)
		return err
	}); err != nil || quota.Limit < 0 || quota.Usage < 0 || n <= quota.Limit-quota.Usage {
		return nil
	}
	free := quota.Limit - quota.Usage
	if n <= quota.Limit {
		var info kv.ItemInfo
		if err := q.h.item(ctx, func() (err error) {
			info, err = b.Info(ctx, q.name)
			return err
		}); err != nil {
			return nil
		}
		if info.Exists && !info.Directory && n <= free+info.Size {
			return nil
		}
	}
	return backendkit.NewError(kv.OpStore, q.name, kv.ErrQuotaExceeded,
		fmt.Errorf("a %d-byte value does not fit: the quota is %d bytes, %d in use", n, quota.Limit, quota.Usage))
}

// delete answers DELETE: rmdir, destroy, or a delete.
func (q *request) delete() {
	ctx, h := q.r.Context(), q.h
	switch cmd := q.r.URL.Query().Get("cmd"); cmd {
	case restproto.CmdRmdir:
		if q.checkName(kv.OpRmdir, q.name, false) {
			q.done(h.item(ctx, func() error { return h.b.Rmdir(ctx, q.name) }))
		}
	case restproto.CmdDestroy:
		q.done(h.lifecycle(ctx, h.b.Destroy))
	case "":
		if q.name == "" {
			q.badRequest("Bad Request: no name to delete")
			return
		}
		if q.checkName(kv.OpDelete, q.name, false) {
			q.done(h.item(ctx, func() error { return h.b.Delete(ctx, q.name) }))
		}
	default:
		q.badRequest("Bad Request: unknown cmd " + strconv.Quote(cmd))
	}
}

// head answers HEAD: the size, kind and access time of an item, 404 when
// it is missing.
func (q *request) head() {
	if !q.checkName(kv.OpInfo, q.name, true) {
		return
	}
	ctx := q.r.Context()
	var info kv.ItemInfo
	err := q.h.item(ctx, func() (err error) {
		info, err = q.h.b.Info(ctx, q.name)
		return err
	})
	switch {
	case err != nil:
		q.fail(err)
		return
	case !info.Exists:
		q.fail(backendkit.NewError(kv.OpInfo, q.name, kv.ErrNotFound, nil))
		return
	}
	hd := q.w.Header()
	hd.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	hd.Set(restproto.HeaderIsDirectory, strconv.FormatBool(info.Directory))
	hd.Set(restproto.HeaderAtime, restproto.FormatAtime(info.Atime))
	q.reply(http.StatusOK, "", nil)
}

// get answers GET: a listing when the path ends in "/", else a load.
func (q *request) get() {
	ctx, h := q.r.Context(), q.h
	if q.dir {
		if !q.checkName(kv.OpList, q.name, true) {
			return
		}
		entries := []restproto.Entry{}
		err := h.item(ctx, func() error {
			for it, err := range h.b.List(ctx, q.name) {
				if err != nil {
					return err
				}
				entries = append(entries, restproto.Entry{Name: it.Name, Size: it.Size,
					Directory: it.Directory, Atime: restproto.Atime(it.Atime)})
			}
			return nil
		})
		body, _ := json.Marshal(entries)
		q.answer(err, "application/json", body)
		return
	}
	if q.name == "" {
		q.badRequest("Bad Request: no name to load")
		return
	}
	if !q.checkName(kv.OpLoad, q.name, false) {
		return
	}
	var opts []kv.Option
	status := http.StatusOK
	if rh := q.r.Header.Get("Range"); rh != "" {
		// A Range that does not parse (another unit, several ranges, no
		// numbers, an end before its start) is ignored: 200 with the
		// whole value, never a 206 that is not the range asked for.
		if offset, size, ok := restproto.ParseRange(rh); ok {
			status = http.StatusPartialContent
			opts = append(opts, kv.Range(offset, size))
		}
	}
	q.load(opts, status)
}

// defrag builds an item from blocks of others: to the target given, or
// named by the hash of its content in namespace at nesting levels.
func (q *request) defrag() {
	qs := q.r.URL.Query()
	target, algorithm, namespace := qs.Get("target"), qs.Get("algorithm"), qs.Get("namespace")
	levels := 0
	if l := qs.Get("levels"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > nesting.MaxLevel {
			q.badRequest("Bad Request: invalid levels " + strconv.Quote(l))
			return
		}
		levels = n
	}
	if target == "" && algorithm == "" {
		q.badRequest("Missing target or algorithm for defrag")
		return
	}
	body, reserved, ok := q.readBody()
	if !ok {
		return
	}
	sources, err := parseSources(body)
	q.h.mem.release(reserved)
	if err != nil {
		q.badRequest("Bad Request: defrag sources: " + err.Error())
		return
	}
	// The blocks must lie inside their items, fit the body limit, and
	// their memory (the value, and the largest block while it is
	// appended) the budget before anything is read.
	ctx, b := q.r.Context(), q.h.b
	var total, largest int64
	if err := q.h.item(ctx, func() (err error) {
		total, err = backendkit.CheckBlocks(ctx, b, sources)
		return err
	}); err != nil {
		q.fail(err)
		return
	}
	if total > q.h.bodyLimit() {
		q.tooLarge(total, q.h.bodyLimit())
		return
	}
	for _, s := range sources {
		largest = max(largest, s.Size)
	}
	if !q.reserve(total + largest) {
		return
	}
	defer q.h.mem.release(total + largest)
	var name string
	err = q.h.item(ctx, func() (err error) {
		namespace = strings.TrimRight(namespace, "/")
		switch {
		case target != "":
			name, err = b.Defrag(ctx, sources, kv.Target(target))
		case levels == 0 && namespace == dirOf(sources[0].Name):
			name, err = b.Defrag(ctx, sources, kv.TargetHash(algorithm))
		default:
			name, err = defragNamed(q, sources, algorithm, namespace, levels)
		}
		return err
	})
	q.answer(err, "text/plain", []byte(name))
}

// dirOf is the directory of name, "" for the root.
func dirOf(name string) string {
	if d := path.Dir(name); d != "." {
		return d
	}
	return ""
}

// defragNamed is Defrag to a hash-named target that is not in the
// directory of the first source: namespace/HASH nested at levels.
func defragNamed(q *request, sources []kv.Block, algorithm, namespace string, levels int) (string, error) {
	ctx, b := q.r.Context(), q.h.b
	const op = kv.OpDefrag
	value, err := backendkit.ReadBlocks(ctx, b, sources)
	if err != nil {
		return "", err
	}
	sum, err := backendkit.HashBytes(algorithm, value)
	if err != nil {
		return "", backendkit.NewError(op, "", nil, err)
	}
	name := sum
	if namespace != "" {
		name = namespace + "/" + sum
	}
	if name, err = nesting.Nest(name, levels, ""); err != nil {
		return "", err
	}
	return name, b.Store(ctx, name, value)
}

// parseSources reads the JSON body of a defrag: [[NAME, OFFSET, SIZE], ...].
func parseSources(body []byte) ([]kv.Block, error) {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errors.New("no source blocks")
	}
	blocks := make([]kv.Block, len(raw))
	for i, r := range raw {
		if len(r) != 3 {
			return nil, fmt.Errorf("block %d: want [name, offset, size]", i)
		}
		b := &blocks[i]
		if json.Unmarshal(r[0], &b.Name) != nil || json.Unmarshal(r[1], &b.Offset) != nil ||
			json.Unmarshal(r[2], &b.Size) != nil {
			return nil, fmt.Errorf("block %d: want [name, offset, size]", i)
		}
		if b.Offset < 0 || b.Size < 0 {
			return nil, fmt.Errorf("block %d: negative offset or size", i)
		}
	}
	return blocks, nil
}
