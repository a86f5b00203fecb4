package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
)

// The parsers of the server's answers. Each returns an error that says
// what does not parse; the caller wraps it in kv.ErrProtocol.

// parseInfo reads the answer to HEAD NAME: Content-Length (required, not
// negative), X-BorgStore-Is-Directory ("true" or "false", absent is false)
// and X-BorgStore-Atime (float seconds, optional).
func parseInfo(name string, h http.Header) (kv.ItemInfo, error) {
	info := kv.ItemInfo{Name: name, Exists: true}
	cl := h.Get("Content-Length")
	size, err := strconv.ParseInt(cl, 10, 64)
	if err != nil || size < 0 {
		return kv.ItemInfo{}, fmt.Errorf("Content-Length %q is not a size", cl)
	}
	switch dir := h.Get(restproto.HeaderIsDirectory); dir {
	case "true":
		info.Directory = true
	case "false", "":
		info.Size = size
	default:
		return kv.ItemInfo{}, fmt.Errorf("%s %q is neither true nor false", restproto.HeaderIsDirectory, dir)
	}
	if at := h.Get(restproto.HeaderAtime); at != "" {
		t, err := parseAtime(at)
		if err != nil {
			return kv.ItemInfo{}, fmt.Errorf("%s %q: %w", restproto.HeaderAtime, at, err)
		}
		info.Atime = t
	}
	return info, nil
}

// parseAtime reads float seconds since the epoch; 0 is the zero time.
func parseAtime(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return time.Time{}, errors.New("not a time")
	}
	return restproto.ParseAtime(f), nil
}

// parseListing reads the JSON array of a listing: the entries sorted by
// name, without the names that are not valid item names (or that hold a
// "/"). A body that is not such an array, a negative size or a name listed
// twice is an error.
func parseListing(body []byte) ([]kv.ItemInfo, error) {
	var entries []restproto.Entry
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("the listing is not a JSON array of entries: %w", err)
	}
	items := make([]kv.ItemInfo, 0, len(entries))
	for _, e := range entries {
		if !kv.IsValidName(e.Name) || strings.Contains(e.Name, "/") {
			continue
		}
		if e.Size < 0 {
			return nil, fmt.Errorf("the listing gives %q the size %d", e.Name, e.Size)
		}
		items = append(items, kv.ItemInfo{Name: e.Name, Exists: true, Size: e.Size,
			Directory: e.Directory, Atime: restproto.ParseAtime(e.Atime)})
	}
	slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(items); i++ {
		if items[i].Name == items[i-1].Name {
			return nil, fmt.Errorf("the listing has %q twice", items[i].Name)
		}
	}
	return items, nil
}

// maxDigest is the length of the longest hex digest (SHA-512, BLAKE2b).
const maxDigest = 128

// parseHash reads the answer to cmd=hash: a hex digest.
func parseHash(body []byte) (string, error) {
	s := strings.TrimSpace(string(body))
	if s == "" || len(s) > maxDigest || strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return "", fmt.Errorf("the answer %q is not a hex digest", truncate(s))
	}
	return s, nil
}

// parseName reads the answer to cmd=defrag: the name of the item made.
func parseName(body []byte) (string, error) {
	s := strings.TrimSpace(string(body))
	if err := kv.ValidateName(s); err != nil || strings.HasSuffix(s, "/") {
		return "", fmt.Errorf("the answer %q is not an item name", truncate(s))
	}
	return s, nil
}

// parseQuota reads the JSON object of cmd=quota, which must give the limit
// and the usage.
func parseQuota(body []byte) (kv.Quota, error) {
	var q struct {
		Limit *int64 `json:"limit"`
		Usage *int64 `json:"usage"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		return kv.Quota{}, fmt.Errorf("the quota is not a JSON object: %w", err)
	}
	if q.Limit == nil || q.Usage == nil {
		return kv.Quota{}, fmt.Errorf("the quota %q lacks its limit or its usage", truncate(string(body)))
	}
	return kv.Quota{Limit: *q.Limit, Usage: *q.Usage}, nil
}

// truncate shortens s for a message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
