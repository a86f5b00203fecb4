package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// bound is the time a failing call gets in these tests: far more than the
// driver's bounded retries take, far less than a hang.
const bound = time.Minute

func TestServerStopped(t *testing.T) {
	s := s3test.Start(t) // a server of its own: it is stopped
	d := kvtest.OpenStore(t, driverAt(t, s.URL(s.NewBucket(t), "store")))
	if err := d.Store(t.Context(), "ns/a", []byte("before")); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	_, err := d.Load(ctx, "ns/a")
	if !errors.Is(err, kv.ErrConnection) || ctx.Err() != nil {
		t.Fatalf("load from a stopped server: %v, want kv.ErrConnection before the context ends", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load(t.Context(), "ns/a")
	if err != nil || string(got) != "before" {
		t.Fatalf("load after the restart: %q, %v", got, err)
	}
}

func TestCancelStuckCall(t *testing.T) {
	s := s3test.Shared(t)
	p := sshdtest.NewProxy(t, s.Addr())
	d := kvtest.OpenStore(t, driverAt(t, s.URLVia(p.Addr(), s.NewBucket(t), "store")))
	p.CheckCancelStuckLoad(t, d)
}

func TestWrongCredentials(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	endpoint := s.Endpoint() + "/" + bucket + "/store"
	for _, tc := range []struct{ name, url, code string }{
		{"secret", "s3:" + s3test.AccessKey + ":wrong@" + endpoint, "SignatureDoesNotMatch"},
		// versitygw says XAdminUserNotFound where S3 says InvalidAccessKeyId.
		{"key", "s3:nobody:" + "wrong@" + endpoint, "XAdminUserNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := driverAt(t, tc.url)
			for op, err := range map[string]error{"create": d.Create(t.Context()), "open": d.Open(t.Context())} {
				if !errors.Is(err, kv.ErrPermission) || !strings.Contains(err.Error(), tc.code) {
					t.Errorf("%s with a wrong %s: %v, want kv.ErrPermission saying %s", op, tc.name, err, tc.code)
				}
			}
		})
	}
}

func TestMissingBucket(t *testing.T) {
	s := s3test.Shared(t)
	d := driverAt(t, s.URL("kvtest-no-such-bucket", "store"))
	for op, err := range map[string]error{
		"create": d.Create(t.Context()), "open": d.Open(t.Context()), "destroy": d.Destroy(t.Context()),
	} {
		if !errors.Is(err, kv.ErrNoStore) || !strings.Contains(err.Error(), `bucket "kvtest-no-such-bucket"`) {
			t.Errorf("%s in a missing bucket: %v, want kv.ErrNoStore naming the bucket", op, err)
		}
	}
}

// TestPrefixes checks that stores at other paths of one bucket, even
// one whose path starts like this one's, do not see each other.
func TestPrefixes(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	ctx := t.Context()
	a := kvtest.OpenStore(t, driverAt(t, s.URL(bucket, "repo")))
	if err := a.Store(ctx, "ns/item", []byte("a")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"repo2", "other/repo", "re"} {
		b := kvtest.OpenStore(t, driverAt(t, s.URL(bucket, path)))
		if info, err := b.Info(ctx, "ns/item"); err != nil || info.Exists {
			t.Errorf("store %s: info of the other store's item: %+v, %v", path, info, err)
		}
		for it, err := range b.List(ctx, "") {
			if err != nil || it.Name != "" {
				t.Errorf("store %s lists %+v, %v", path, it, err)
			}
		}
	}
}

// TestCreateNonEmpty checks that Create refuses a prefix that holds
// objects, even foreign ones the store would not list, and accepts one that
// holds only the store's marker.
func TestCreateNonEmpty(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	ctx := t.Context()
	if err := putObject(t, s, bucket, "repo/foreign.tmp", "x"); err != nil {
		t.Fatal(err)
	}
	if err := driverAt(t, s.URL(bucket, "repo")).Create(ctx); !errors.Is(err, kv.ErrExists) {
		t.Errorf("create on a prefix with objects: %v, want kv.ErrExists", err)
	}
	if err := putObject(t, s, bucket, "marked/", ""); err != nil {
		t.Fatal(err)
	}
	if err := driverAt(t, s.URL(bucket, "marked")).Create(ctx); err != nil {
		t.Errorf("create on a prefix with only the marker: %v", err)
	}
}

func putObject(t *testing.T, s *s3test.Server, bucket, key, value string) error {
	t.Helper()
	c := s.Client()
	_, err := c.PutObject(t.Context(), bucket, key, strings.NewReader(value), int64(len(value)),
		// Unsigned: versitygw leaves the streaming signature of an empty
		// body unread on the connection.
		minio.PutObjectOptions{DisableContentSha256: true})
	return err
}

// TestLargeMultipart stores values above the part size, uploaded in parts.
func TestLargeMultipart(t *testing.T) {
	d := kvtest.OpenStore(t, newDriver(t, s3.WithPartSize(s3.MinPartSize, 3)))
	value := bytes.Repeat([]byte("0123456789abcdef"), (2*s3.MinPartSize+1000)/16)
	if err := d.Store(t.Context(), "big/item", value); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load(t.Context(), "big/item")
	if err != nil || !bytes.Equal(got, value) {
		t.Fatalf("load of a multipart value: %d bytes, %v", len(got), err)
	}
}

// TestHungServerTimesOut checks that a server that stops answering, with
// no deadline on the context, gives kv.ErrConnection after the timeout and
// the bounded retries.
func TestHungServerTimesOut(t *testing.T) {
	s := s3test.Shared(t)
	p := sshdtest.NewProxy(t, s.Addr())
	d := kvtest.OpenStore(t, driverAt(t, s.URLVia(p.Addr(), s.NewBucket(t), "store"),
		s3.WithTimeout(200*time.Millisecond), s3.WithRetries(1)))
	p.Pause(true)
	defer p.Pause(false)
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	_, err := d.Info(ctx, "ns/a")
	if !errors.Is(err, kv.ErrConnection) || ctx.Err() != nil {
		t.Fatalf("info on a hung server: %v, want kv.ErrConnection before the context ends", err)
	}
}

// TestListAllPages lists a directory of more objects than one
// ListObjectsV2 page holds (1000), written straight into versitygw's
// directory.
func TestListAllPages(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	d := kvtest.OpenStore(t, driverAt(t, s.URL(bucket, "store")))
	dir := filepath.Join(s.Dir, bucket, "store", "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 1500
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%05d", n-i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	for it, err := range d.List(t.Context(), "many") {
		if err != nil {
			t.Fatal(err)
		}
		i++
		if want := fmt.Sprintf("%05d", i); it.Name != want {
			t.Fatalf("entry %d is %q, want %q", i, it.Name, want)
		}
	}
	if i != n {
		t.Errorf("listed %d entries, want %d", i, n)
	}
}
