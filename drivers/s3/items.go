package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"iter"
	"math"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// suffixReadMax is the most bytes past a negative-offset Range that Load
// reads with one suffix-range GET; a longer unwanted tail costs a HEAD and
// an absolute range instead.
const suffixReadMax = 1 << 20

// key returns the object key of the item name ("" is the store).
func (d *Driver) key(name string) string {
	if name == "" {
		return d.prefix
	}
	return d.prefix + name
}

// dirKey returns the key of the directory name: its marker, and the prefix
// of everything in it.
func (d *Driver) dirKey(name string) string {
	if name == "" {
		return d.prefix
	}
	return d.prefix + name + "/"
}

// dirMarker is the base name of the empty object that marks a directory
// made by Mkdir, PATH/DIR/.dir, as borgstore's s3 backend writes it. The
// empty object PATH/DIR/ that earlier versions of this driver wrote marks
// a directory too.
const dirMarker = backendkit.DirMarker

// isMarkerName reports whether name (relative to the store or to a
// directory) is that of a directory marker.
func isMarkerName(name string) bool {
	return name == dirMarker || strings.HasSuffix(name, "/"+dirMarker)
}

// markerName refuses an item named as a directory marker, which List
// would never show, with kv.ErrInvalidName.
func markerName(op kv.Op, name string) error {
	if isMarkerName(name) {
		return backendkit.NewError(op, name, kv.ErrInvalidName,
			errors.New(`".dir" is the name of a directory marker on S3 (borgstore's layout), not of an item`))
	}
	return nil
}

// isMarker reports whether key is a marker of the directory whose prefix
// (dirKey) is dir.
func isMarker(key, dir string) bool { return key == dir || key == dir+dirMarker }

// Mkdir writes the directory marker PATH/NAME/.dir, an empty object, as
// borgstore does; the parents need none (a prefix exists as long as an
// object is under it). One PUT.
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpMkdir, name, nil); err != nil {
		return err
	}
	return d.fail(ctx, kv.OpMkdir, name, d.putEmpty(ctx, d.dirKey(name)+dirMarker))
}

// Rmdir deletes the markers of the directory name if nothing else is in
// it: a listing of up to three keys, then a DELETE per marker.
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpRmdir, name, nil); err != nil {
		return err
	}
	dir := d.dirKey(name)
	var markers []string
	for obj, err := range d.listing(ctx, dir, false, 3) {
		if err != nil {
			return d.fail(ctx, kv.OpRmdir, name, err)
		}
		if !isMarker(obj.Key, dir) {
			return backendkit.NewError(kv.OpRmdir, name, nil, errors.New("directory not empty"))
		}
		markers = append(markers, obj.Key)
	}
	if len(markers) == 0 {
		return d.fail(ctx, kv.OpRmdir, name, notFound(ctx, kv.OpRmdir, name))
	}
	for _, key := range markers {
		if err := d.client.RemoveObject(ctx, d.bucket, key, minio.RemoveObjectOptions{}); err != nil {
			return d.fail(ctx, kv.OpRmdir, name, err)
		}
	}
	return nil
}

// Info describes name with a HEAD of its object; when there is none, a
// listing of one key under NAME/ tells whether it is a directory.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := d.lc.Begin(ctx, kv.OpInfo, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	info := kv.ItemInfo{Name: name}
	if name != "" {
		obj, err := d.client.StatObject(ctx, d.bucket, d.key(name), minio.StatObjectOptions{})
		if err == nil {
			info.Exists, info.Size = true, obj.Size
			return info, nil
		}
		if !isNotFound(err) {
			return info, d.fail(ctx, kv.OpInfo, name, err)
		}
	}
	for _, err := range d.listing(ctx, d.dirKey(name), false, 1) {
		if err != nil {
			return info, d.fail(ctx, kv.OpInfo, name, err)
		}
		info.Exists, info.Directory = true, true
		break
	}
	return info, d.fail(ctx, kv.OpInfo, name, ctx.Err())
}

// Load returns the value of name, or the part a kv.Range selects, with one
// GET (with a Range header for a part).
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if err := d.lc.Begin(ctx, kv.OpLoad, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	offset, size, ranged := backendkit.RangeOf(opts)
	value, err := d.load(ctx, d.key(name), offset, size, ranged)
	if err != nil {
		return nil, d.fail(ctx, kv.OpLoad, name, err)
	}
	return value, nil
}

// load reads the object key, or its part from offset of size bytes.
func (d *Driver) load(ctx context.Context, key string, offset, size int64, ranged bool) ([]byte, error) {
	body, length, limit, err := d.get(ctx, key, offset, size, ranged)
	if err != nil || body == nil {
		return []byte{}, err
	}
	defer body.Close()
	var value []byte
	if length >= 0 {
		value = make([]byte, length)
		_, err = io.ReadFull(body, value)
	} else {
		value, err = io.ReadAll(body)
	}
	if err != nil {
		return nil, err
	}
	if limit >= 0 && int64(len(value)) > limit {
		value = value[:limit]
	}
	return value, nil
}

// get sends the GET of the object key, or of its part from offset of size
// bytes, and returns the body of the reply, its length (-1: unknown) and
// the most bytes of it that belong to the part (-1: all of them). A nil
// body without error is an empty part (of an object that exists). A
// negative offset is a suffix range, or a HEAD and an absolute range when
// the unwanted tail is over suffixReadMax; a range that starts past the end
// is empty.
func (d *Driver) get(ctx context.Context, key string, offset, size int64, ranged bool) (io.ReadCloser, int64, int64, error) {
	var get minio.GetObjectOptions
	limit := int64(-1) // the most bytes of the reply to keep
	offset = max(offset, -math.MaxInt64)
	var err error
	switch {
	case !ranged:
	case size == 0:
		// An empty part, but of an object that must exist.
		_, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{})
		return nil, 0, 0, err
	case offset >= 0 && (size < 0 || size > math.MaxInt64-offset): // to the end
		if offset > 0 {
			err = get.SetRange(offset, 0) // "bytes=offset-"
		}
	case offset >= 0:
		err = get.SetRange(offset, offset+size-1)
	case size < 0 || -offset-size <= suffixReadMax:
		// The last -offset bytes; a suffix longer than the value gives all
		// of it, which is the clamp to the start.
		err = get.SetRange(0, offset)
		limit = size
	default:
		obj, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{})
		if err != nil {
			return nil, 0, 0, err
		}
		start, end := backendkit.ClampRange(obj.Size, offset, size)
		if start == end {
			return nil, 0, 0, nil
		}
		if err := get.SetRange(start, end-1); err != nil {
			return nil, 0, 0, err
		}
	}
	if err != nil {
		return nil, 0, 0, err
	}
	body, obj, _, err := d.core.GetObject(ctx, d.bucket, key, get)
	if err != nil {
		if errCode(err) == "InvalidRange" {
			return nil, 0, 0, nil // the range starts past the end
		}
		return nil, 0, 0, err
	}
	return body, obj.Size, limit, nil
}

// Store writes value with one PUT, which S3 makes visible whole or not at
// all; a value larger than a part goes up as a multipart upload, also
// atomic.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := d.lc.Begin(ctx, kv.OpStore, name, opts); err != nil {
		return err
	}
	if err := markerName(kv.OpStore, name); err != nil {
		return err
	}
	return d.fail(ctx, kv.OpStore, name, d.put(ctx, d.key(name), value))
}

// checksumSHA256 is the header of the SHA-256 checksum of a PUT's body,
// which the server checks and keeps with the object.
const checksumSHA256 = "x-amz-checksum-sha256"

// put writes value to the object key. The body goes unsigned (over TLS
// the signature would not cover it either) with a Content-MD5 header,
// which is signed and which the server checks: integrity at a third of
// the cost of signing the body chunk by chunk over plain http. A value
// of one part also carries its SHA-256 (x-amz-checksum-sha256, except on
// B2, which refuses it), which the server checks as well and returns from
// a HEAD, so that Hash needs no GET; the parts of a larger value carry
// none, since S3 would keep only a checksum of their checksums (see
// putMultipart). It also spares servers (versitygw) that leave the signed
// empty chunk of an empty body unread on the connection.
func (d *Driver) put(ctx context.Context, key string, value []byte) error {
	size := int64(len(value))
	if uint64(size) > d.cfg.partSize {
		return d.putMultipart(ctx, key, &valueParts{value: value, size: d.partSize(size)})
	}
	sum := md5.Sum(value)
	opts := minio.PutObjectOptions{DisableContentSha256: true}
	if !d.cfg.b2 {
		// S3 checks it too, and keeps it for Hash.
		sha := sha256.Sum256(value)
		opts.UserMetadata = map[string]string{checksumSHA256: base64.StdEncoding.EncodeToString(sha[:])}
	}
	_, err := d.core.PutObject(ctx, d.bucket, key, bytes.NewReader(value), size,
		base64.StdEncoding.EncodeToString(sum[:]), "", opts)
	return err
}

// putEmpty writes an empty object: a store or directory marker.
func (d *Driver) putEmpty(ctx context.Context, key string) error { return d.put(ctx, key, nil) }

// Delete removes the item name: a HEAD, since S3 deletes a missing key
// without a word, then a DELETE.
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := d.lc.Begin(ctx, kv.OpDelete, name, opts); err != nil {
		return err
	}
	key := d.key(name)
	if _, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{}); err != nil {
		return d.fail(ctx, kv.OpDelete, name, err)
	}
	return d.fail(ctx, kv.OpDelete, name, d.client.RemoveObject(ctx, d.bucket, key, minio.RemoveObjectOptions{}))
}

// Move copies from to to on the server, overwriting to, then deletes from:
// no bytes pass through the client, but the two steps are not atomic (see
// the package documentation). A missing from is kv.ErrNotFound.
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	if err := markerName(kv.OpMove, to); err != nil {
		return err
	}
	src, dst := d.key(from), d.key(to)
	if from == to {
		// S3 refuses to copy an object onto itself; the move is a no-op
		// for an item that exists.
		_, err := d.client.StatObject(ctx, d.bucket, src, minio.StatObjectOptions{})
		return d.fail(ctx, kv.OpMove, from, err)
	}
	_, err := d.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: d.bucket, Object: dst},
		minio.CopySrcOptions{Bucket: d.bucket, Object: src})
	if err != nil {
		return d.fail(ctx, kv.OpMove, from, err)
	}
	return d.fail(ctx, kv.OpMove, from, d.client.RemoveObject(ctx, d.bucket, src, minio.RemoveObjectOptions{}))
}

// List yields the entries of the directory name, sorted by name: the
// objects and common prefixes of a ListObjectsV2 with delimiter "/", every
// page of it, less the invalid names (temporary, hidden, foreign ones) and
// the directory's markers. A directory without any object is
// kv.ErrNotFound; one that holds only its marker lists empty. With
// kv.Recursive it streams every object below name instead (listAll).
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	name = backendkit.ListDir(name)
	if err := d.lc.Begin(ctx, kv.OpList, name, opts, kv.KindRecursive); err != nil {
		return backendkit.ErrorSeq(err)
	}
	if backendkit.Has(opts, kv.KindRecursive) {
		return d.listAll(ctx, name)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		dir := d.dirKey(name)
		var items []kv.ItemInfo
		found := false
		for obj, err := range d.listing(ctx, dir, false, 0) {
			if err != nil {
				yield(kv.ItemInfo{}, d.fail(ctx, kv.OpList, name, err))
				return
			}
			found = true
			base, isDir := strings.CutSuffix(obj.Key[len(dir):], "/")
			if !kv.IsValidName(base) || isMarker(obj.Key, dir) {
				continue
			}
			items = append(items, kv.ItemInfo{Name: base, Exists: true, Directory: isDir, Size: obj.Size})
		}
		if err := ctx.Err(); err != nil {
			yield(kv.ItemInfo{}, d.fail(ctx, kv.OpList, name, err))
			return
		}
		if !found {
			yield(kv.ItemInfo{}, d.fail(ctx, kv.OpList, name, notFound(ctx, kv.OpList, name)))
			return
		}
		slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
		backendkit.SliceSeq(ctx, kv.OpList, name, items)(yield)
	}
}

// listAll is List with kv.Recursive: one ListObjectsV2 without delimiter
// per 1000 objects, streamed page by page, in S3's order, which is the
// byte order of the names; directory markers and invalid names are
// skipped.
func (d *Driver) listAll(ctx context.Context, name string) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		dir := d.dirKey(name)
		found := false
		for obj, err := range d.listing(ctx, dir, true, 0) {
			if err != nil {
				yield(kv.ItemInfo{}, d.fail(ctx, kv.OpList, name, err))
				return
			}
			found = true
			rel := obj.Key[len(dir):]
			if !kv.IsValidName(rel) || isMarkerName(rel) {
				continue // the marker of dir or of a directory below, or foreign
			}
			if !yield(kv.ItemInfo{Name: rel, Exists: true, Size: obj.Size}, nil) {
				return
			}
		}
		if !found || ctx.Err() != nil {
			yield(kv.ItemInfo{}, d.fail(ctx, kv.OpList, name, notFound(ctx, kv.OpList, name)))
		}
	}
}

// listing yields the objects under prefix (with common prefixes as keys
// ending in "/" unless recursive), maxKeys per request (0: the server's
// 1000), as many pages as the caller takes.
func (d *Driver) listing(ctx context.Context, prefix string, recursive bool, maxKeys int) iter.Seq2[minio.ObjectInfo, error] {
	noOwner := false
	return func(yield func(minio.ObjectInfo, error) bool) {
		for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{
			Prefix: prefix, Recursive: recursive, MaxKeys: maxKeys, FetchOwner: &noOwner,
		}) {
			if obj.Err != nil {
				yield(obj, obj.Err)
				return
			}
			if !yield(obj, nil) {
				return
			}
		}
	}
}

// Hash returns the hex digest of the value of name. A SHA-256 (the
// default) of an object stored with its checksum (a value of one part,
// stored by this driver, not on B2) is read with one HEAD in checksum
// mode; any other is loaded and hashed locally (see backendkit.Hash), after that
// HEAD for a SHA-256: objects stored without the checksum (by borgstore,
// by earlier versions, in parts, or copied by a server that drops it).
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := d.lc.Begin(ctx, kv.OpHash, name, opts); err != nil {
		return "", err
	}
	if (algorithm == "" || algorithm == "sha256") && !d.cfg.b2 {
		var stat minio.StatObjectOptions
		stat.Checksum = true
		obj, err := d.client.StatObject(ctx, d.bucket, d.key(name), stat)
		if err != nil {
			return "", d.fail(ctx, kv.OpHash, name, err)
		}
		if sum, ok := fullSHA256(obj); ok {
			return sum, nil
		}
	}
	return backendkit.Hash(ctx, d, name, algorithm)
}

// fullSHA256 returns the hex SHA-256 of the whole value of obj from the
// checksum S3 keeps, if it is one: not a composite checksum of parts
// ("base64-N", mode COMPOSITE).
func fullSHA256(obj minio.ObjectInfo) (string, bool) {
	if obj.ChecksumSHA256 == "" || strings.EqualFold(obj.ChecksumMode, "COMPOSITE") {
		return "", false
	}
	sum, err := base64.StdEncoding.DecodeString(obj.ChecksumSHA256)
	if err != nil || len(sum) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(sum), true
}

// Defrag builds a new item from blocks of existing items (see backendkit.Defrag).
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.lc, d, sources, opts...)
}

// Quota reports that neither limit nor usage is tracked.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	return backendkit.DriverQuota(ctx, &d.lc)
}

// notFound returns the kv.ErrNotFound error of op on a directory name
// that holds no object, or the context's error if it is done (a listing
// that stopped early finds nothing).
func notFound(ctx context.Context, op kv.Op, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return backendkit.NewError(op, name, kv.ErrNotFound, errors.New("no such directory"))
}
