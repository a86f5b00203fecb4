package s3

import (
	"strconv"
	"strings"

	"github.com/kvcompose/compose/kv/backendkit"
)

// urlForm is the syntax of the URLs FromURL reads, for error messages.
const urlForm = "(s3|b2):[PROFILE@ | ACCESS_KEY_ID:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH"

// location is what a URL says.
type location struct {
	scheme   string // "s3" or "b2"
	profile  string
	keyID    string
	secret   string
	endpoint string // "http(s)://host[:port]", "" for AWS
	bucket   string
	path     string // percent-decoded, without trailing slashes
	hasKey   bool   // keyID and secret were given
}

// FromURL returns a closed driver for a URL of borgstore's form
//
//	(s3|b2):[PROFILE@ | ACCESS_KEY_ID:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH
//
// PROFILE names a profile of ~/.aws/credentials; ACCESS_KEY_ID and SECRET
// are percent-decoded, as is PATH; BUCKET is taken as it is. Without an
// endpoint the store is on AWS. A malformed URL is a kv.ErrInvalidURL
// error that says what is wrong. FromURL does no I/O.
func FromURL(raw string, opts ...Option) (*Driver, error) {
	loc, why := parseURL(raw)
	if why != "" {
		return nil, backendkit.InvalidURL(redact(raw), "%s, want %s", why, urlForm)
	}
	var first []Option
	switch {
	case loc.hasKey:
		first = append(first, WithStaticCredentials(loc.keyID, loc.secret, ""))
	case loc.profile != "":
		first = append(first, WithProfile(loc.profile))
	}
	if loc.scheme == "b2" {
		first = append(first, withB2())
	}
	d, why := newDriver(loc.endpoint, loc.bucket, loc.path, append(first, opts...))
	if why != "" {
		return nil, backendkit.InvalidURL(redact(raw), "%s", why)
	}
	return d, nil
}

// parseURL splits raw as borgstore's regular expression does, and says why
// when it does not match. Credentials end at the first "@"; when the rest
// does not parse after them, the "@" may belong to the path, and the whole
// is parsed again without credentials.
func parseURL(raw string) (location, string) {
	var loc location
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme != "s3" && scheme != "b2" {
		return loc, "not an s3: or b2: URL"
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f {
			return loc, "control character in the URL"
		}
	}
	loc.scheme = scheme
	why := ""
	if cred, after, found := strings.Cut(rest, "@"); found {
		if why = loc.parseCredentials(cred); why == "" {
			if why = loc.parseLocation(after); why == "" {
				return loc, ""
			}
		}
		if strings.Contains(after, "@") && isCredentials(cred) {
			why = "give a profile or an access key, not both"
		}
		without := location{scheme: scheme}
		if w := without.parseLocation(rest); w == "" {
			return without, ""
		}
		return loc, why
	}
	return loc, loc.parseLocation(rest)
}

// parseCredentials reads PROFILE or ACCESS_KEY_ID:SECRET.
func (loc *location) parseCredentials(cred string) string {
	id, secret, isKey := strings.Cut(cred, ":")
	switch {
	case !isKey && cred == "":
		return "empty profile before @"
	case !isKey:
		loc.profile = cred
		return ""
	case id == "":
		return "empty access key id"
	case secret == "":
		return "access key id without a secret"
	}
	loc.keyID, loc.secret, loc.hasKey = unquote(id), unquote(secret), true
	return ""
}

// parseLocation reads [SCHEME://HOST[:PORT]]/BUCKET/PATH.
func (loc *location) parseLocation(s string) string {
	if !strings.HasPrefix(s, "/") {
		scheme, after, ok := strings.Cut(s, "://")
		if !ok || scheme == "" || strings.ContainsAny(scheme, ":/") {
			return "no /BUCKET/PATH or SCHEME://HOST endpoint"
		}
		if scheme != "http" && scheme != "https" {
			return "endpoint scheme " + strconv.Quote(scheme) + " is not http or https"
		}
		hostport, path, ok := strings.Cut(after, "/")
		if !ok {
			return "no /BUCKET/PATH after the endpoint"
		}
		host, port, hasPort := strings.Cut(hostport, ":")
		if host == "" {
			return "no host in the endpoint"
		}
		if hasPort {
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 || strings.Trim(port, "0123456789") != "" {
				return "invalid port " + strconv.Quote(port)
			}
		}
		loc.endpoint = scheme + "://" + hostport
		s = "/" + path
	}
	bucket, path, ok := strings.Cut(s[1:], "/")
	switch {
	case bucket == "":
		return "no bucket"
	case !ok || path == "":
		return "no path after the bucket (a store needs a prefix of its own)"
	}
	loc.bucket = bucket
	loc.path = strings.TrimRight(unquote(path), "/")
	if loc.path == "" {
		return "the path is only slashes"
	}
	return ""
}

// unquote percent-decodes s as Python's urllib.parse.unquote does, which
// borgstore uses: a "%" not followed by two hex digits stays as it is, and
// "+" is a plus.
func unquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// redact hides the secret of a URL that holds ACCESS_KEY_ID:SECRET@, so
// that errors can quote the URL.
func redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return raw
	}
	cred, after, found := strings.Cut(rest, "@")
	if !found {
		return raw
	}
	if id, _, isKey := strings.Cut(cred, ":"); isKey && isCredentials(cred) {
		return scheme + ":" + id + ":***@" + after
	}
	return raw
}

// isCredentials reports whether the text before an "@" can be credentials
// rather than a part of the endpoint or the path.
func isCredentials(cred string) bool {
	return !strings.HasPrefix(cred, "/") && !strings.Contains(cred, "://")
}
