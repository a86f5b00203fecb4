package backendkit

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// InvalidURL returns the error of a driver's FromURL for rawURL: it wraps
// ErrInvalidURL, and the message, formatted as fmt.Sprintf does, says what
// is wrong.
func InvalidURL(rawURL, format string, args ...any) error {
	return NewError(kv.OpParseURL, rawURL, kv.ErrInvalidURL, fmt.Errorf(format, args...))
}

// SyncQuery reads the query part of a driver's URL, which may hold only the
// parameter sync (true or false, once): "file:///srv/store?sync=true". It
// reports whether sync=true was given. Any other parameter, a repeated or
// malformed one, or another value is an InvalidURL error that names it.
func SyncQuery(rawURL, rawQuery string) (bool, error) {
	if rawQuery == "" {
		return false, nil
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return false, InvalidURL(rawURL, "query %q: %v", rawQuery, err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if k != "sync" {
			return false, InvalidURL(rawURL, "unknown query parameter %q (known: sync=true)", k)
		}
	}
	v := q["sync"]
	if len(v) != 1 {
		return false, InvalidURL(rawURL, "query parameter sync given %d times", len(v))
	}
	on, err := strconv.ParseBool(strings.ToLower(v[0]))
	if err != nil {
		return false, InvalidURL(rawURL, "sync=%q: want sync=true or sync=false", v[0])
	}
	return on, nil
}
