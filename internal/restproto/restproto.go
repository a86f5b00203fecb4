// Package restproto holds what the REST server (package restserver) and the
// REST client (drivers/rest) share of borgstore's REST protocol, version 1:
// the media type, the header names, the JSON shapes, the Range header and
// the mapping between HTTP statuses and the kv sentinel errors.
package restproto

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// The protocol's constants.
const (
	// MediaType is the Accept header every request carries.
	MediaType = "application/vnd.x.borgstore.rest.v1"
	// Realm is the realm of the WWW-Authenticate header of a 401.
	Realm = "BorgStore REST Server"
	// CacheControl is the Cache-Control header of every response.
	CacheControl = "no-store, no-cache, must-revalidate, max-age=0"

	// HeaderIsDirectory says "true" or "false" in the answer to HEAD.
	HeaderIsDirectory = "X-BorgStore-Is-Directory"
	// HeaderAtime holds the access time, in float seconds since the epoch,
	// in the answer to HEAD.
	HeaderAtime = "X-BorgStore-Atime"
	// HeaderContentHash holds the hex SHA-256 of a stored value.
	HeaderContentHash = "X-Content-hash-sha256"
	// HashInTrailer, as the value of HeaderContentHash, says that the hash
	// comes in a trailer of the same name, after a chunked body (a store
	// of unknown size, hashed on the way). kvcompose's server takes it;
	// borgstore's, which reads only bodies of known length, refuses it
	// with 422 (the hash of the empty body it reads is not this), so a
	// chunked store never leaves an empty or partial value there.
	HashInTrailer = "trailer"

	// MustBeOpen and MustNotBeOpen are in the body of a 412, as borgstore's
	// clients look for them.
	MustBeOpen    = "must be open"
	MustNotBeOpen = "must not be open"
	// HashMismatch is the body of a 422.
	HashMismatch = "Content hash verification failed, please retry"

	// The values of the cmd query parameter.
	CmdCreate  = "create"
	CmdDestroy = "destroy"
	CmdMkdir   = "mkdir"
	CmdRmdir   = "rmdir"
	CmdMove    = "move"
	CmdHash    = "hash"
	CmdQuota   = "quota"
	CmdDefrag  = "defrag"
)

// Entry is one element of the JSON array a listing returns.
type Entry struct {
	Name      string  `json:"name"`
	Size      int64   `json:"size"`
	Directory bool    `json:"directory"`
	Atime     float64 `json:"atime"`
}

// Quota is the JSON object of cmd=quota.
type Quota struct {
	Limit int64 `json:"limit"`
	Usage int64 `json:"usage"`
}

// Atime formats t as float seconds since the epoch, 0 for the zero time.
func Atime(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// FormatAtime is Atime as the text of HeaderAtime.
func FormatAtime(t time.Time) string { return strconv.FormatFloat(Atime(t), 'f', -1, 64) }

// ParseAtime turns float seconds since the epoch into a time, to the
// microsecond (what a float64 holds of today's times); 0, a negative number
// or NaN is the zero time.
func ParseAtime(secs float64) time.Time {
	if !(secs > 0) || secs > math.MaxInt64/1e9 {
		return time.Time{}
	}
	return time.UnixMicro(int64(math.Round(secs * 1e6)))
}

// ParseAtimeHeader is ParseAtime of the text of HeaderAtime.
func ParseAtimeHeader(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}
	}
	return ParseAtime(f)
}

// FormatRange returns the Range header of a load of size bytes from offset
// (size < 0: to the end; offset < 0: the last -offset bytes, size must be
// < 0), or "" when the whole value is wanted. size must not be 0: borgstore
// reads "bytes=0--1" as the whole value.
func FormatRange(offset, size int64) string {
	switch {
	case offset < 0:
		return "bytes=" + strconv.FormatInt(offset, 10)
	case size < 0 && offset == 0:
		return ""
	case size < 0:
		return "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	return fmt.Sprintf("bytes=%d-%d", offset, offset+size-1)
}

// ParseRange reads a Range header as borgstore's server does: "bytes=O-"
// (offset O to the end), "bytes=O-E" (size E-O+1) or "bytes=-N" (the last N
// bytes, offset -N). ok is false for anything else, which borgstore reads as
// the whole value.
func ParseRange(h string) (offset, size int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found {
		return 0, -1, false
	}
	if suffix, isSuffix := strings.CutPrefix(spec, "-"); isSuffix {
		n, err := strconv.ParseInt(suffix, 10, 64)
		if err != nil || n < 0 {
			return 0, -1, false
		}
		return -n, -1, true
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, -1, false
	}
	o, err := strconv.ParseInt(first, 10, 64)
	if err != nil || o < 0 {
		return 0, -1, false
	}
	if last == "" {
		return o, -1, true
	}
	e, err := strconv.ParseInt(last, 10, 64)
	if err != nil || e < 0 || e < o-1 || e == math.MaxInt64 {
		return 0, -1, false
	}
	return o, e - o + 1, true
}

// Status returns the HTTP status of err: the sentinel it wraps decides, and
// anything unknown is 500.
func Status(err error) int {
	for _, m := range statusMap {
		if errors.Is(err, m.kind) {
			return m.status
		}
	}
	return http.StatusInternalServerError
}

var statusMap = []struct {
	kind   error
	status int
}{
	{kv.ErrNotFound, http.StatusNotFound},
	{kv.ErrNoStore, http.StatusGone},
	{kv.ErrExists, http.StatusConflict},
	{kv.ErrNotOpen, http.StatusPreconditionFailed},
	{kv.ErrAlreadyOpen, http.StatusPreconditionFailed},
	{kv.ErrPermission, http.StatusForbidden},
	{kv.ErrQuotaExceeded, http.StatusInsufficientStorage},
	{kv.ErrReadRange, http.StatusRequestedRangeNotSatisfiable},
	{kv.ErrInvalidName, http.StatusBadRequest},
	{kv.ErrInvalidURL, http.StatusBadRequest},
	{kv.ErrUnsupported, http.StatusBadRequest},
}

// absPath matches an absolute file system path in a message.
var absPath = regexp.MustCompile(`(^|[\s"'(=])/[^\s"'),]*`)

// Message returns the reason sent for err: its text, with absolute file
// system paths replaced by "<path>", and for the state errors the words
// borgstore's clients look for.
func Message(err error) string {
	msg := absPath.ReplaceAllString(err.Error(), "$1<path>")
	switch {
	case errors.Is(err, kv.ErrNotOpen):
		msg = "backend " + MustBeOpen + ": " + msg
	case errors.Is(err, kv.ErrAlreadyOpen):
		msg = "backend " + MustNotBeOpen + ": " + msg
	}
	return msg
}

// Error returns the error of a response with status and body to op on name:
// nil for 200 and 206, else an *kv.Error whose sentinel the status (and for
// 400 and 412 the body) gives. Retryable reports the statuses that say the
// request did not reach the store intact or the server could not take it
// now (422, 502, 503, 504); their sentinel is kv.ErrConnection.
func Error(op kv.Op, name string, status int, body string) error {
	if status == http.StatusOK || status == http.StatusPartialContent {
		return nil
	}
	body = strings.TrimSpace(body)
	var kind error
	switch status {
	case http.StatusNotFound:
		kind = kv.ErrNotFound
	case http.StatusGone:
		kind = kv.ErrNoStore
	case http.StatusConflict:
		kind = kv.ErrExists
	case http.StatusPreconditionFailed:
		switch {
		case strings.Contains(body, MustNotBeOpen):
			kind = kv.ErrAlreadyOpen
		case strings.Contains(body, MustBeOpen):
			kind = kv.ErrNotOpen
		}
	case http.StatusForbidden, http.StatusUnauthorized:
		kind = kv.ErrPermission
	case http.StatusInsufficientStorage:
		kind = kv.ErrQuotaExceeded
	case http.StatusRequestedRangeNotSatisfiable:
		kind = kv.ErrReadRange
	case http.StatusNotAcceptable:
		kind = kv.ErrUnsupported
	case http.StatusBadRequest:
		switch {
		case strings.Contains(body, kv.ErrInvalidName.Error()):
			kind = kv.ErrInvalidName
		case strings.Contains(body, kv.ErrUnsupported.Error()):
			kind = kv.ErrUnsupported
		}
	case http.StatusInternalServerError:
		if strings.Contains(body, kv.ErrNotAStore.Error()) {
			kind = kv.ErrNotAStore // the status of an unknown error, as borgstore's server gives it
		}
	default:
		if Retryable(status) {
			kind = kv.ErrConnection
		}
	}
	reason := fmt.Sprintf("server answered %d %s", status, http.StatusText(status))
	if body != "" {
		reason += ": " + body
	}
	return backendkit.NewError(op, name, kind, errors.New(reason))
}

// Retryable reports whether a request answered with status may succeed when
// sent again: the value was damaged on the way (422) or a proxy could not
// reach the server (502, 503, 504).
func Retryable(status int) bool {
	switch status {
	case http.StatusUnprocessableEntity, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
