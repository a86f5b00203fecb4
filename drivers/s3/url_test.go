package s3

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want location
	}{
		{"s3:/bucket/path", location{scheme: "s3", bucket: "bucket", path: "path"}},
		{"s3:/bucket/path/deeper/", location{scheme: "s3", bucket: "bucket", path: "path/deeper"}},
		{"s3:/My.Bucket_1/p", location{scheme: "s3", bucket: "My.Bucket_1", path: "p"}},
		{"s3:/bucket/pa%20th/%7Ex", location{scheme: "s3", bucket: "bucket", path: "pa th/~x"}},
		{"s3:/bucket/pa@th", location{scheme: "s3", bucket: "bucket", path: "pa@th"}},
		{"s3:work@/bucket/path", location{scheme: "s3", profile: "work", bucket: "bucket", path: "path"}},
		{"s3:AKID:SECRET@/bucket/path", location{scheme: "s3", keyID: "AKID", secret: "SECRET", hasKey: true, bucket: "bucket", path: "path"}},
		{"s3:AK%3AID:se%2Fcr%40et%3A@http://127.0.0.1:9000/b/p", location{scheme: "s3", keyID: "AK:ID", secret: "se/cr@et:", hasKey: true,
			endpoint: "http://127.0.0.1:9000", bucket: "b", path: "p"}},
		{"s3:id:sec:ret/x+y@/b/p", location{scheme: "s3", keyID: "id", secret: "sec:ret/x+y", hasKey: true, bucket: "b", path: "p"}},
		{"s3:id:%zz%4@/b/p", location{scheme: "s3", keyID: "id", secret: "%zz%4", hasKey: true, bucket: "b", path: "p"}},
		{"s3:https://minio.example.com/b/repo", location{scheme: "s3", endpoint: "https://minio.example.com", bucket: "b", path: "repo"}},
		{"s3:http://host/b/a@b", location{scheme: "s3", endpoint: "http://host", bucket: "b", path: "a@b"}},
		{"s3:prof@http://host:80/b/x@y", location{scheme: "s3", profile: "prof", endpoint: "http://host:80", bucket: "b", path: "x@y"}},
		{"b2:keyid:appkey@https://s3.us-west-004.backblazeb2.com/bucket/repo", location{scheme: "b2", keyID: "keyid", secret: "appkey", hasKey: true,
			endpoint: "https://s3.us-west-004.backblazeb2.com", bucket: "bucket", path: "repo"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, why := parseURL(tc.url)
			if why != "" {
				t.Fatalf("parse: %s", why)
			}
			if got != tc.want {
				t.Errorf("parse:\n got %+v\nwant %+v", got, tc.want)
			}
			if _, err := FromURL(tc.url); err != nil {
				t.Errorf("FromURL: %v", err)
			}
		})
	}
}

func TestFromURLErrors(t *testing.T) {
	for _, tc := range []struct{ url, err string }{
		{"gs:/bucket/path", "not an s3: or b2: URL"},
		{"s3", "not an s3: or b2: URL"},
		{"s3:", "no /BUCKET/PATH"},
		{"s3:/bucket", "no path after the bucket"},
		{"s3:/bucket/", "no path after the bucket"},
		{"s3:/bucket//", "only slashes"},
		{"s3://bucket/path", "no bucket"},
		{"s3:/b/p\n", "control character"},
		{"s3:@/b/p", "empty profile"},
		{"s3::secret@/b/p", "empty access key id"},
		{"s3:AKID:@/b/p", "access key id without a secret"},
		{"s3:prof@AKID:secret@/b/p", "a profile or an access key, not both"},
		{"s3:AKID:secret@prof@/b/p", "a profile or an access key, not both"},
		{"s3:ftp://host/b/p", `endpoint scheme "ftp"`},
		{"s3:http:///b/p", "no host"},
		{"s3:http://host:99999/b/p", `invalid port "99999"`},
		{"s3:http://host:x/b/p", `invalid port "x"`},
		{"s3:http://host:+80/b/p", `invalid port "+80"`},
		{"s3:host:9000/b/p", "no /BUCKET/PATH or SCHEME://HOST endpoint"},
		{"s3:http://host", "no /BUCKET/PATH after the endpoint"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := FromURL(tc.url)
			if !errors.Is(err, kv.ErrInvalidURL) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("FromURL: %v, want kv.ErrInvalidURL saying %q", err, tc.err)
			}
			if !strings.Contains(err.Error(), urlForm) {
				t.Errorf("FromURL: %v does not show the form of the URL", err)
			}
		})
	}
}

// TestSecretNotShown checks that neither errors nor String show a secret.
func TestSecretNotShown(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG"
	_, err := FromURL("s3:AKID:" + secret + "@ftp://host/b/p")
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "AKID:***@") {
		t.Errorf("FromURL: %v, want an error with the secret as ***", err)
	}
	d, err := FromURL("s3:AKID:" + secret + "@http://host:9000/b/p")
	if err != nil {
		t.Fatal(err)
	}
	if s := d.String(); s != "s3:http://host:9000/b/p" {
		t.Errorf("String() = %q", s)
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", "a%2Fb": "a/b", "a%2fb": "a/b", "a+b": "a+b", "%": "%", "%4": "%4",
		"%zz": "%zz", "%41%": "A%", "100%25": "100%",
	} {
		if got := unquote(in); got != want {
			t.Errorf("unquote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		endpoint, bucket, path string
		opts                   []Option
		err                    string
	}{
		{"", "b", "p", nil, ""},
		{"http://127.0.0.1:9000", "b", "a/b/", nil, ""},
		{"ftp://host", "b", "p", nil, "want http(s)://host[:port]"},
		{"http://", "b", "p", nil, "want http(s)://host[:port]"},
		{"http://host/sub", "b", "p", nil, "want http(s)://host[:port]"},
		{"", "", "p", nil, `bucket ""`},
		{"", "a/b", "p", nil, `bucket "a/b"`},
		{"", "b", "//", nil, "a path of its own"},
		{"", "b", "p", []Option{WithPartSize(1<<20, 2)}, "below S3's minimum"},
	} {
		d, err := New(tc.endpoint, tc.bucket, tc.path, tc.opts...)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("New(%q, %q, %q): %v", tc.endpoint, tc.bucket, tc.path, err)
		case tc.err == "" && d.Properties().Port == 0:
			t.Errorf("New(%q, %q, %q): properties %+v", tc.endpoint, tc.bucket, tc.path, d.Properties())
		case tc.err != "" && (!errors.Is(err, kv.ErrInvalidURL) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("New(%q, %q, %q): %v, want kv.ErrInvalidURL saying %q", tc.endpoint, tc.bucket, tc.path, err, tc.err)
		}
	}
}
