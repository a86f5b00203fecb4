package sftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// directReadMax is the largest Range size that Load reads without asking
// for the size first.
const directReadMax = 1 << 20

// Mkdir creates the directory name and its missing parents; an existing
// directory is accepted. It tries the directory alone first, which is all
// a pre-creation needs once the parents exist. With WithSync, the parents
// of the directories it made are synced.
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	const op = kv.OpMkdir
	if err := d.lc.Begin(ctx, op, name, nil); err != nil {
		return err
	}
	p := d.path(name)
	return d.do(ctx, op, name, func(c *client) error {
		if err := c.Mkdir(p); err == nil {
			return d.syncDirs(c, path.Dir(p))
		}
		return d.mkdirAll(c, p)
	})
}

// Rmdir removes the empty directory name.
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	const op = kv.OpRmdir
	if err := d.lc.Begin(ctx, op, name, nil); err != nil {
		return err
	}
	p := d.path(name)
	return d.do(ctx, op, name, func(c *client) error {
		err := c.RemoveDirectory(p)
		if err != nil && !isNotExist(err) {
			// SFTP says "failure" for both a file and a non-empty
			// directory; say which.
			if fi, serr := c.Stat(p); serr == nil && !fi.IsDir() {
				return errors.New("not a directory")
			}
		}
		return err
	})
}

// Info describes name; a missing item gives Exists == false.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	const op = kv.OpInfo
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	info := kv.ItemInfo{Name: name}
	err := d.do(ctx, op, name, func(c *client) error {
		fi, err := c.Stat(d.path(name))
		if err != nil {
			if isNotExist(err) || isNotDir(err) {
				return nil
			}
			return err
		}
		info.Exists, info.Directory = true, fi.IsDir()
		if !info.Directory {
			info.Size = fi.Size()
		}
		return nil
	})
	return info, err
}

// Load returns the value of name, or the part a kv.Range selects. It
// opens the file, then sends the FSTAT (unless the range says the size) and
// the READs of the first firstRead bytes together, and the CLOSE without
// waiting for its answer: a value of up to firstRead bytes, or a range of
// up to directReadMax, takes two round trips; a larger value reads the rest
// in further rounds of up to readBatch READs.
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	offset, size, ranged := backendkit.RangeOf(opts)
	var value []byte
	err := d.do(ctx, op, name, func(c *client) error {
		h, err := c.open(ctx, d.path(name), pflagRead)
		if err != nil {
			return err
		}
		defer c.wire.call(ctx, request{typ: fxpClose, fields: str(nil, h), noWait: true})
		if ranged && offset >= 0 && size >= 0 && size <= directReadMax {
			buf := make([]byte, size)
			n, err := c.readRange(ctx, h, buf, offset, 0)
			value = buf[:n]
			return err
		}
		first := firstRead
		reqs := []request{fstatReq(h)}
		if !ranged {
			reqs = append(reqs, readReqs(h, 0, 0, first)...)
		}
		answers, err := c.wire.call(ctx, reqs...)
		if err != nil {
			return err
		}
		n, dir, err := attrsOf(answers[0])
		if err != nil {
			return err
		}
		if dir {
			return errors.New("is a directory")
		}
		start, end := int64(0), n
		if ranged {
			start, end = backendkit.ClampRange(n, offset, size)
		}
		buf := make([]byte, end-start)
		got, eof := 0, false
		if !ranged {
			got, eof, err = fill(buf, answers[1:], 0, first)
			if err != nil {
				return err
			}
		}
		if !eof && got < len(buf) {
			got, err = c.readRest(ctx, h, buf, start, got)
			if err != nil {
				return err
			}
		}
		value = buf[:got]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return value, nil
}

// firstRead is what Load reads before it knows the size; readChunk is the
// data of one READ, and readBatch the most READs sent together.
const (
	firstRead = 64 << 10
	readChunk = 32 << 10
	readBatch = 64
)

// readReqs returns the READs of buf[from:to] of a buffer that holds the
// file from offset base.
func readReqs(h string, base int64, from, to int) []request {
	var reqs []request
	for pos := from; pos < to && len(reqs) < readBatch; pos += readChunk {
		reqs = append(reqs, readReq(h, base+int64(pos), min(readChunk, to-pos)))
	}
	return reqs
}

// fill copies the answers to the READs that readReqs(h, base, from, to)
// returned into buf, and returns up to where buf is filled without a gap
// from the start, and whether the file ended there. It releases the
// answers it copied.
func fill(buf []byte, answers []answer, from, to int) (got int, eof bool, err error) {
	got = from
	for i, a := range answers {
		pos := from + i*readChunk
		want := min(readChunk, to-pos)
		data, err := dataOf(a)
		switch {
		case err == io.EOF:
			return got, got == pos, nil
		case err != nil:
			return got, false, err
		case len(data) > want:
			return got, false, fmt.Errorf("%w: read %d bytes, asked for %d", errProtocol, len(data), want)
		}
		if pos >= len(buf) {
			return got, false, nil // the file grew since its FSTAT
		}
		copy(buf[pos:], data)
		answers[i].release()
		if got == pos {
			got = min(pos+len(data), len(buf))
		}
		if len(data) < want {
			return got, false, nil // a short read: the rest is read again
		}
	}
	return got, false, nil
}

// readRest reads buf[got:] as readRange does, in segments of one round
// each, readSegments of them at a time, so that the link stays busy while
// a round's last answers come; it returns how much of buf is filled
// without a gap.
func (c *client) readRest(ctx context.Context, h string, buf []byte, base int64, got int) (int, error) {
	const seg = readBatch * readChunk
	n := (len(buf) - got + seg - 1) / seg
	if n <= 1 {
		return c.readRange(ctx, h, buf, base, got)
	}
	type result struct {
		n   int
		err error
	}
	start := got
	results := make([]chan result, n)
	sem := make(chan struct{}, readSegments)
	for i := range n {
		results[i] = make(chan result, 1)
		from, to := start+i*seg, min(start+(i+1)*seg, len(buf))
		go func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] <- result{err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			k, err := c.readRange(ctx, h, buf[from:to], base+int64(from), 0)
			results[i] <- result{k, err}
		}()
	}
	var first error
	full := true
	for i := range n {
		r := <-results[i]
		from, to := start+i*seg, min(start+(i+1)*seg, len(buf))
		if first == nil && r.err != nil {
			first = r.err
		}
		if full && first == nil {
			got = from + r.n
			full = got == to
		}
	}
	return got, first
}

// readSegments is how many rounds of READs readRest keeps in flight.
const readSegments = 4

// readRange reads into buf[got:] the file from offset base+got on, in
// rounds of up to readBatch READs, until buf is full or the file ends; it
// returns how much of buf is filled.
func (c *client) readRange(ctx context.Context, h string, buf []byte, base int64, got int) (int, error) {
	for got < len(buf) {
		reqs := readReqs(h, base, got, len(buf))
		answers, err := c.wire.call(ctx, reqs...)
		if err != nil {
			return got, err
		}
		end := min(got+len(reqs)*readChunk, len(buf))
		n, eof, err := fill(buf, answers, got, end)
		if err != nil {
			return got, err
		}
		if eof {
			return n, nil
		}
		if n == got {
			return got, fmt.Errorf("%w: a read of no bytes before the end of the file", errProtocol)
		}
		got = n
	}
	return got, nil
}

// Store writes value to a temporary file beside name and renames it over
// name with posix-rename, so that readers see the old value or the new one.
// The parent directories are made only when the create finds them missing.
// With WithSync, the file is synced before the rename and its directory
// after it. A value of up to pipelineMax bytes takes three round trips:
// the create; the writes, the sync and the close, pipelined; the rename,
// sent only once the writes and the close succeeded (SFTP cannot make a
// request depend on the one before, and a rename sent with them would put
// a value whose write failed in place). A larger value is written as
// StoreStream writes a stream, from the value in place.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	target := d.path(name)
	return d.do(ctx, op, name, func(c *client) error {
		tmp := tempName(target)
		if len(value) <= pipelineMax {
			return d.leftBehind(d.storePipelined(ctx, c, tmp, target, value), tmp)
		}
		return d.leftBehind(d.storeFrom(ctx, c, tmp, target, bytes.NewReader(value), nil), tmp)
	})
}

// tempName returns a new name for the temporary file of a store of target.
func tempName(target string) string {
	return target + "." + strconv.FormatUint(rand.Uint64(), 36) + kv.TempSuffix
}

// pipelineMax is the largest value that Store sends in pipelined requests
// of its own, all at once; a larger one is written as a stream.
const pipelineMax = 256 << 10

// writeChunk is the data of one WRITE request: what every SFTP server
// must accept.
const writeChunk = 32 << 10

// storePipelined is Store of a small value in three round trips (see
// Store).
func (d *Driver) storePipelined(ctx context.Context, c *client, tmp, target string, value []byte) error {
	h, err := d.createTemp(ctx, c, tmp, target)
	if err != nil {
		return err
	}
	reqs := make([]request, 0, len(value)/writeChunk+3)
	for off := 0; off < len(value); off += writeChunk {
		reqs = append(reqs, writeReq(h, int64(off), value[off:min(off+writeChunk, len(value))]))
	}
	reqs = append(d.syncReqs(reqs, h), closeReq(h))
	answers, err := c.wire.call(ctx, reqs...)
	if err == nil {
		for _, a := range answers {
			if err = statusError(a); err != nil {
				break
			}
		}
	}
	return d.commit(ctx, c, "", tmp, target, err)
}

// createTemp creates the temporary file tmp of a store of target,
// exclusively, and returns its handle; it makes the missing parents of
// target only when the create found them missing.
func (d *Driver) createTemp(ctx context.Context, c *client, tmp, target string) (string, error) {
	const pflags = pflagWrite | pflagCreat | pflagExcl
	h, err := c.open(ctx, tmp, pflags)
	if err != nil && isNotExist(err) {
		if err := d.mkdirAll(c, path.Dir(target)); err != nil {
			return "", inTheWay(err)
		}
		h, err = c.open(ctx, tmp, pflags)
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errProtocol) || ctx.Err() != nil {
			return "", err
		}
		return "", inTheWay(err)
	}
	return h, nil
}

// syncReqs appends to reqs the fsync@openssh.com of the open file h,
// when sync is on.
func (d *Driver) syncReqs(reqs []request, h string) []request {
	if !d.cfg.sync {
		return reqs
	}
	d.syncs.Add(1)
	return append(reqs, extReq(extFsync, h))
}

// tempLeft is the error of a store that left its temporary behind: the
// connection broke, or the call was cancelled, before it could remove it.
type tempLeft struct{ error }

func (e tempLeft) Unwrap() error { return e.error }

// leftBehind returns err without tempLeft, and when it was one, removes
// tmp in the background (removeLater).
func (d *Driver) leftBehind(err error, tmp string) error {
	if t, ok := err.(tempLeft); ok {
		d.removeLater(tmp)
		return t.error
	}
	return err
}

// commit ends a store whose writes, sync and close of the temporary tmp
// ended with err: with none, it renames tmp over target and syncs the
// directory; otherwise, or when the rename fails, it closes the handle h
// ("" when the close was sent: OpenSSH reuses a closed handle for the next
// open, which a second close would take from its caller) and removes tmp
// with one round, when the connection still works and the call was not
// cancelled, and else returns err as a tempLeft.
func (d *Driver) commit(ctx context.Context, c *client, h, tmp, target string, err error) error {
	if err == nil {
		err = c.ext(ctx, "posix-rename@openssh.com", tmp, target)
	}
	if err == nil {
		return d.syncDirs(c, path.Dir(target))
	}
	var src sourceError
	if !errors.As(err, &src) && (errors.Is(err, io.ErrUnexpectedEOF) || ctx.Err() != nil) {
		return tempLeft{err}
	}
	reqs := []request{removeReq(tmp)}
	if h != "" {
		reqs = []request{{typ: fxpClose, fields: str(nil, h), noWait: true}, reqs[0]}
	}
	if _, rerr := c.wire.call(ctx, reqs...); rerr != nil {
		return tempLeft{err}
	}
	return err
}

// open opens path with one OPEN request and returns the handle.
func (c *client) open(ctx context.Context, path string, pflags uint32) (string, error) {
	a, err := c.wire.call(ctx, openReq(path, pflags))
	if err != nil {
		return "", err
	}
	return handleOf(a[0])
}

// remove removes the file path with one REMOVE request (pkg/sftp's Remove
// tries RMDIR after a failed REMOVE, which takes an empty directory).
func (c *client) remove(ctx context.Context, path string) error {
	a, err := c.wire.call(ctx, removeReq(path))
	if err != nil {
		return err
	}
	return statusError(a[0])
}

// ext sends the extended request name with args and returns its status.
func (c *client) ext(ctx context.Context, name string, args ...string) error {
	a, err := c.wire.call(ctx, extReq(name, args...))
	if err != nil {
		return err
	}
	return statusError(a[0])
}

// Delete removes the item name with one REMOVE request; a missing item is
// kv.ErrNotFound, and a directory is refused (a failed REMOVE is followed by
// an LSTAT that tells which). An item that is gone only when a retry after a
// broken connection looks counts as deleted.
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	const op = kv.OpDelete
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	p := d.path(name)
	return d.doRetried(ctx, op, name, func(c *client, retried bool) error {
		a, err := c.wire.call(ctx, removeReq(p))
		if err != nil {
			return err
		}
		err = statusError(a[0])
		switch {
		case retried && isNotExist(err):
			// The try that broke off removed it.
		case isNotExist(err):
			return err
		case err != nil:
			// SFTP says "failure" (or "permission denied") for a
			// directory as for other causes: say which.
			if fi, serr := c.Lstat(p); serr == nil && fi.IsDir() {
				return errors.New("is a directory, not an item")
			}
			return err
		}
		return d.syncDirs(c, path.Dir(p))
	})
}

// Move renames from to to with posix-rename, overwriting to and making its
// missing parents; a missing from is kv.ErrNotFound. A from that is gone
// only on a retry after a broken connection, with to in place, counts as
// moved.
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	const op = kv.OpMove
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	src, dst := d.path(from), d.path(to)
	return d.doRetried(ctx, op, from, func(c *client, retried bool) error {
		err := c.PosixRename(src, dst)
		if err != nil && isNotExist(err) {
			if _, serr := c.Lstat(src); serr != nil {
				if retried && isNotExist(serr) {
					if _, terr := c.Lstat(dst); terr == nil {
						return d.syncDirs(c, path.Dir(dst), path.Dir(src))
					}
				}
				return serr
			}
			if err := d.mkdirAll(c, path.Dir(dst)); err != nil {
				return inTheWay(err)
			}
			err = c.PosixRename(src, dst)
		}
		if err != nil {
			return err
		}
		return d.syncDirs(c, path.Dir(dst), path.Dir(src))
	})
}

// List yields the entries of the directory name, sorted by name, skipping
// names that are not valid (temporary files, foreign files).
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	name = backendkit.ListDir(name)
	const op = kv.OpList
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		var items []kv.ItemInfo
		err := d.do(ctx, op, name, func(c *client) error {
			entries, err := c.ReadDir(d.path(name))
			if err != nil {
				if isNotDir(err) {
					return fs.ErrNotExist
				}
				return err
			}
			items = items[:0]
			for _, e := range entries {
				if !kv.IsValidName(e.Name()) || !(e.Mode().IsRegular() || e.IsDir()) {
					continue
				}
				it := kv.ItemInfo{Name: e.Name(), Exists: true, Directory: e.IsDir()}
				if !it.Directory {
					it.Size = e.Size()
				}
				items = append(items, it)
			}
			return nil
		})
		if err != nil {
			yield(kv.ItemInfo{}, err)
			return
		}
		slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
		backendkit.SliceSeq(ctx, op, name, items)(yield)
	}
}

// Hash returns the hex digest of the value of name, hashed locally (see
// backendkit.Hash): OpenSSH offers no check-file extension.
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return backendkit.DriverHash(ctx, &d.lc, d, name, algorithm, opts...)
}

// Defrag builds a new item from blocks of existing items (see backendkit.Defrag).
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.lc, d, sources, opts...)
}

// Quota reports that neither limit nor usage is tracked.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	return backendkit.DriverQuota(ctx, &d.lc)
}

// inTheWay says kv.ErrExists for a create that failed because an item is
// where a directory should be (SFTP reports a plain failure).
func inTheWay(err error) error {
	if isNotExist(err) || errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w: %w", kv.ErrExists, err)
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// isNotDir reports an SFTP failure that means a parent is a file.
func isNotDir(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not a directory")
}
