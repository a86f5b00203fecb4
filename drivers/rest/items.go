package rest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// suffixSlack is how many bytes past a negative-offset Range Load reads
// with one suffix request rather than asking for the size first, as
// borgstore does.
const suffixSlack = 1024

// maxSmallAnswer is the most bytes accepted in the answer to a call that
// expects a short one (a hash, a name, the quota, or nothing).
const maxSmallAnswer = 4 << 10

// spec is a request to build.
type spec struct {
	method string
	path   string // the name, with a trailing "/" for a listing
	query  url.Values
	body   []byte
	header http.Header
	limit  int64 // the most bytes of a successful answer, -1 for no limit

	stream  io.Reader   // a body to stream instead of body
	length  int64       // the length of stream, -1 for unknown (chunked)
	trailer http.Header // the trailer sent after a chunked stream
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func post(name string, q url.Values, body []byte) spec {
	return spec{method: http.MethodPost, path: name, query: q, body: body, limit: maxSmallAnswer}
}
func del(name string, q url.Values) spec {
	return spec{method: http.MethodDelete, path: name, query: q, limit: maxSmallAnswer}
}
func head(name string) spec { return spec{method: http.MethodHead, path: name} }
func get(p string, h http.Header, limit int64) spec {
	return spec{method: http.MethodGet, path: p, header: h, limit: limit}
}

// request builds the HTTP request of s.
func (d *Driver) request(s spec) (*http.Request, error) {
	u := d.base + "/" + strings.TrimPrefix(s.path, "/")
	if len(s.query) > 0 {
		u += "?" + s.query.Encode()
	}
	var body io.Reader
	if s.body != nil {
		body = bytes.NewReader(s.body)
	}
	if s.stream != nil {
		body = s.stream
	}
	req, err := http.NewRequest(s.method, u, body)
	if err != nil {
		return nil, err
	}
	if s.stream != nil {
		req.ContentLength, req.Trailer = s.length, s.trailer
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", restproto.MediaType)
	if d.user != "" && d.pass != "" {
		req.SetBasicAuth(d.user, d.pass)
	}
	return req, nil
}

// call sends s once and returns the response. A status other than 200 and
// 206 is an error (with the response): a redirect is kv.ErrProtocol (none
// is followed), the others as restproto.Error maps them. A connection that
// failed or stalled is kv.ErrConnection, an answer longer than s accepts
// kv.ErrProtocol. The driver never sends a call again: retrying is the
// retry layer's (see the package documentation).
func (d *Driver) call(ctx context.Context, op kv.Op, name string, s spec) (*response, error) {
	req, err := d.request(s)
	if err != nil {
		return nil, backendkit.NewError(op, name, kv.ErrInvalidName, err)
	}
	resp, err := d.tr.roundTrip(ctx, req, s.limit)
	if err = d.failure(ctx, op, name, err); err != nil {
		return nil, err
	}
	return resp, d.answerError(op, name, resp)
}

// failure is the error of an exchange that failed (nil for none): the
// context's, kv.ErrProtocol for an answer that broke the protocol, else
// kv.ErrConnection.
func (d *Driver) failure(ctx context.Context, op kv.Op, name string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return backendkit.NewError(op, name, nil, cerr)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kv.ErrProtocol):
		return backendkit.NewError(op, name, nil, fmt.Errorf("%s: %w", d, err))
	}
	d.tr.reset()
	return backendkit.NewError(op, name, kv.ErrConnection, fmt.Errorf("%s: %w", d, err))
}

// answerError is the error of an answer: a redirect is kv.ErrProtocol
// (none is followed), the other statuses as restproto.Error maps them.
func (d *Driver) answerError(op kv.Op, name string, resp *response) error {
	if resp.status >= 300 && resp.status < 400 {
		return backendkit.NewError(op, name, kv.ErrProtocol,
			fmt.Errorf("server answered %d %s with Location %q: redirects are not followed",
				resp.status, http.StatusText(resp.status), resp.header.Get("Location")))
	}
	return restproto.Error(op, name, resp.status, string(resp.body))
}

// protocolError is the kv.ErrProtocol error of op on name for an answer
// that does not parse.
func protocolError(op kv.Op, name, format string, args ...any) error {
	return backendkit.NewError(op, name, kv.ErrProtocol, fmt.Errorf(format, args...))
}

// Mkdir creates the directory name and its parents (POST NAME?cmd=mkdir).
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpMkdir, name, nil); err != nil {
		return err
	}
	_, err := d.call(ctx, kv.OpMkdir, name, post(name, query("cmd", "mkdir"), nil))
	return err
}

// Rmdir removes the empty directory name (DELETE NAME?cmd=rmdir).
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpRmdir, name, nil); err != nil {
		return err
	}
	_, err := d.call(ctx, kv.OpRmdir, name, del(name, query("cmd", "rmdir")))
	return err
}

// Info describes name (HEAD NAME); a missing item gives Exists == false.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := d.lc.Begin(ctx, kv.OpInfo, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	if err := noHidden(kv.OpInfo, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	resp, err := d.call(ctx, kv.OpInfo, name, head(name))
	switch {
	case err != nil && resp != nil && resp.status == http.StatusNotFound:
		return kv.ItemInfo{Name: name}, nil
	case err != nil:
		return kv.ItemInfo{}, err
	}
	info, err := parseInfo(name, resp.header)
	if err != nil {
		return kv.ItemInfo{}, backendkit.NewError(kv.OpInfo, name, kv.ErrProtocol, err)
	}
	return info, nil
}

// Load returns the value of name, or the part a kv.Range selects (GET NAME
// with a Range header).
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpLoad
	p, err := d.beginLoad(ctx, name, opts)
	switch {
	case err != nil:
		return nil, err
	case p.empty:
		return []byte{}, nil
	}
	resp, err := d.call(ctx, op, name, get(name, p.header(), p.limit))
	if err != nil {
		return nil, err
	}
	if err := p.check(name, resp.status); err != nil {
		return nil, err
	}
	value := resp.body
	if p.cut >= 0 && int64(len(value)) > p.cut {
		value = value[:p.cut]
	}
	return value, nil
}

// loadPlan is the GET of a load: its Range header, the bytes kept of the
// answer (cut, -1: all) and the most it may have (limit, -1: no limit);
// empty when nothing is to be asked (the range is empty).
type loadPlan struct {
	rng        string
	cut, limit int64
	empty      bool
}

// beginLoad begins a Load or LoadStream of name with opts and plans its
// GET, with an Info first where the Range needs the size (borgstore has no
// empty range and no suffix range with an end).
func (d *Driver) beginLoad(ctx context.Context, name string, opts []kv.Option) (loadPlan, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return loadPlan{}, err
	}
	if err := noHidden(op, name, opts); err != nil {
		return loadPlan{}, err
	}
	p := loadPlan{cut: -1, limit: -1}
	offset, size, ranged := backendkit.RangeOf(opts)
	switch {
	case !ranged:
	case size == 0:
		// "bytes=0--1" would be the whole value to borgstore.
		info, err := d.Info(ctx, name)
		if err == nil && !info.Exists {
			err = backendkit.NewError(op, name, kv.ErrNotFound, nil)
		}
		p.empty = true
		return p, err
	case offset >= 0 || size < 0:
		p.rng = restproto.FormatRange(offset, size)
		switch {
		case offset < 0:
			p.limit = -offset
		case size > 0:
			p.limit = size
		}
	case -offset-size <= suffixSlack:
		p.rng, p.cut, p.limit = restproto.FormatRange(offset, -1), size, -offset
	default:
		info, err := d.Info(ctx, name)
		if err == nil && !info.Exists {
			err = backendkit.NewError(op, name, kv.ErrNotFound, nil)
		}
		if err != nil {
			return p, err
		}
		start, end := backendkit.ClampRange(info.Size, offset, size)
		if start == end {
			p.empty = true
			return p, nil
		}
		p.rng, p.limit = restproto.FormatRange(start, end-start), end-start
	}
	return p, nil
}

// header is the request header of the plan.
func (p loadPlan) header() http.Header {
	if p.rng == "" {
		return nil
	}
	return http.Header{"Range": {p.rng}}
}

// check refuses an answer that is not the bytes asked for: a range asked
// is 206, the whole value 200.
func (p loadPlan) check(name string, status int) error {
	want := http.StatusOK
	if p.rng != "" {
		want = http.StatusPartialContent
	}
	if status != want {
		return protocolError(kv.OpLoad, name, "server answered %d %s to Range %q", status, http.StatusText(status), p.rng)
	}
	return nil
}

// Store writes value under name (POST NAME) with its SHA-256 in
// X-Content-hash-sha256, so that a value damaged on the way is refused
// and sent again.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := d.lc.Begin(ctx, kv.OpStore, name, opts); err != nil {
		return err
	}
	if err := noHidden(kv.OpStore, name, opts); err != nil {
		return err
	}
	return d.store(ctx, name, value)
}

// store sends value with its hash, in one request.
func (d *Driver) store(ctx context.Context, name string, value []byte) error {
	sum := sha256.Sum256(value)
	s := post(name, nil, value)
	if value == nil {
		s.body = []byte{}
	}
	s.header = http.Header{restproto.HeaderContentHash: {hex.EncodeToString(sum[:])}}
	_, err := d.call(ctx, kv.OpStore, name, s)
	return err
}

// Delete removes the item name (DELETE NAME).
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := d.lc.Begin(ctx, kv.OpDelete, name, opts); err != nil {
		return err
	}
	if err := noHidden(kv.OpDelete, name, opts); err != nil {
		return err
	}
	_, err := d.call(ctx, kv.OpDelete, name, del(name, nil))
	return err
}

// Move renames from to to (POST /?cmd=move&current=FROM&new=TO).
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	_, err := d.call(ctx, kv.OpMove, from, post("", query("cmd", "move", "current", from, "new", to), nil))
	return err
}

// List yields the entries of the directory name (GET NAME/), sorted by
// name, skipping names that are not valid; an answer that is not a
// listing is kv.ErrProtocol.
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	const op = kv.OpList
	name = backendkit.ListDir(name)
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		resp, err := d.call(ctx, op, name, get(name+"/", nil, -1))
		if err != nil {
			yield(kv.ItemInfo{}, err)
			return
		}
		items, err := parseListing(resp.body)
		if err != nil {
			yield(kv.ItemInfo{}, backendkit.NewError(op, name, kv.ErrProtocol, err))
			return
		}
		backendkit.SliceSeq(ctx, op, name, items)(yield)
	}
}

// Hash returns the hex digest of name, computed by the server (POST
// NAME?cmd=hash&algorithm=ALG); an answer that is not a hex digest is
// kv.ErrProtocol.
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := d.lc.Begin(ctx, kv.OpHash, name, opts); err != nil {
		return "", err
	}
	if algorithm == "" {
		algorithm = kv.DefaultHash
	}
	resp, err := d.call(ctx, kv.OpHash, name, post(name, query("cmd", "hash", "algorithm", algorithm), nil))
	if err != nil {
		return "", err
	}
	sum, err := parseHash(resp.body)
	if err != nil {
		return "", backendkit.NewError(kv.OpHash, name, kv.ErrProtocol, err)
	}
	return sum, nil
}

// Defrag builds a new item from blocks of existing items on the server
// (POST /?cmd=defrag): to the kv.Target given, or named by the hash of its
// content in the directory of the first source.
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	const op = kv.OpDefrag
	if err := d.lc.Begin(ctx, op, "", opts, kv.KindTarget, kv.KindTargetHash); err != nil {
		return "", err
	}
	target, algorithm := backendkit.DefragTarget(opts)
	if len(sources) == 0 {
		return "", backendkit.NewError(op, target, nil, errors.New("no source blocks"))
	}
	blocks := make([][3]any, len(sources))
	for i, s := range sources {
		if s.Offset < 0 || s.Size < 0 {
			return "", backendkit.NewError(op, s.Name, kv.ErrReadRange,
				fmt.Errorf("block offset %d size %d: must not be negative", s.Offset, s.Size))
		}
		if err := kv.ValidateName(s.Name); err != nil {
			return "", backendkit.NewError(op, s.Name, nil, err)
		}
		blocks[i] = [3]any{s.Name, s.Offset, s.Size}
	}
	body, _ := json.Marshal(blocks)
	q := query("cmd", "defrag")
	if target != "" {
		q.Set("target", target)
	} else {
		q.Set("algorithm", algorithm)
		if dir := path.Dir(sources[0].Name); dir != "." {
			q.Set("namespace", dir)
		}
	}
	resp, err := d.call(ctx, op, target, post("", q, body))
	if err != nil {
		return "", err
	}
	made, err := parseName(resp.body)
	if err != nil {
		return "", backendkit.NewError(op, target, kv.ErrProtocol, err)
	}
	return made, nil
}

// Quota reports the server's limit and usage (POST /?cmd=quota); an
// answer that is not the JSON object is kv.ErrProtocol.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	const op = kv.OpQuota
	if err := d.lc.Begin(ctx, op, "", nil); err != nil {
		return kv.Quota{}, err
	}
	resp, err := d.call(ctx, op, "", post("", query("cmd", "quota"), nil))
	if err != nil {
		return kv.Quota{}, err
	}
	q, err := parseQuota(resp.body)
	if err != nil {
		return kv.Quota{}, backendkit.NewError(op, "", kv.ErrProtocol, err)
	}
	return q, nil
}

// noHidden refuses kv.Hidden: borgstore's REST protocol carries no hidden
// items (the server keeps the records of its store itself).
func noHidden(op kv.Op, name string, opts []kv.Option) error {
	if len(opts) > 0 && backendkit.Has(opts, kv.KindHidden) {
		return backendkit.NewError(op, name, kv.ErrUnsupported, errors.New("borgstore's REST protocol carries no hidden items"))
	}
	return nil
}
