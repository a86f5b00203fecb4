package s3_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestHashFromChecksum checks that Hash(name, "sha256") of an item this
// driver stored is one HEAD, and that every other case falls back to
// loading the value, with the right digest: another algorithm, an object
// stored without the checksum (as borgstore stores it), a value uploaded
// in parts (whose checksum would be composite), and the b2: scheme.
func TestHashFromChecksum(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	cnt := newCounter()
	d := kvtest.OpenStore(t, driverAt(t, s.URL(bucket, "store"), s3.WithTransport(cnt), s3.WithPartSize(s3.MinPartSize, 2)))
	ctx := t.Context()
	small := []byte("0123456789")
	large := bytes.Repeat([]byte("x"), s3.MinPartSize+1)
	if err := d.Store(ctx, "ns/small", small); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "ns/large", large); err != nil {
		t.Fatal(err)
	}
	// As borgstore (or an older version of this driver) stores it.
	if _, err := s.Client().PutObject(ctx, bucket, "store/ns/foreign", bytes.NewReader(small), int64(len(small)),
		minio.PutObjectOptions{DisableContentSha256: true, SendContentMd5: true}); err != nil {
		t.Fatal(err)
	}
	cnt.take()
	for _, tc := range []struct {
		name, alg string
		value     []byte
		want      string
	}{
		{"ns/small", "", small, "HEAD"},
		{"ns/small", "sha256", small, "HEAD"},
		{"ns/small", "sha1", small, "GET"},
		{"ns/foreign", "sha256", small, "HEAD,GET"},
		{"ns/large", "sha256", large, "HEAD,GET"},
	} {
		got, err := d.Hash(ctx, tc.name, tc.alg)
		want, _ := backendkit.HashBytes(tc.alg, tc.value)
		if err != nil || got != want {
			t.Errorf("hash %s %q = %s, %v; want %s", tc.name, tc.alg, got, err, want)
		}
		if reqs := strings.Join(cnt.take(), ","); reqs != tc.want {
			t.Errorf("hash %s %q sent %s, want %s", tc.name, tc.alg, reqs, tc.want)
		}
	}
	_, err := d.Hash(ctx, "ns/missing", "")
	if !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("hash of a missing item: %v, want ErrNotFound", err)
	}

	b2 := driverAt(t, "b2:"+strings.TrimPrefix(s.URL(bucket, "store"), "s3:"), s3.WithTransport(cnt))
	if err := b2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer b2.Close(ctx)
	cnt.take()
	if got, err := b2.Hash(ctx, "ns/small", ""); err != nil || got != mustHash(t, small) {
		t.Errorf("b2 hash = %s, %v", got, err)
	}
	if reqs := strings.Join(cnt.take(), ","); reqs != "GET" {
		t.Errorf("b2 hash sent %s, want GET", reqs)
	}
}

func mustHash(t *testing.T, v []byte) string {
	t.Helper()
	h, err := backendkit.HashBytes("", v)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestChecksumChecked checks that the server verifies the checksum that
// Store sends (which the request's signature covers, so only the body can
// be damaged on the way): a body that does not match it is refused, and
// nothing is stored.
func TestChecksumChecked(t *testing.T) {
	s := s3test.Shared(t)
	bucket := s.NewBucket(t)
	ctx := t.Context()
	core := minio.Core{Client: s.Client()}
	value := []byte("value")
	md5sum := md5.Sum(value)
	wrong := sha256.Sum256([]byte("another value"))
	_, err := core.PutObject(ctx, bucket, "store/item", bytes.NewReader(value), int64(len(value)),
		base64.StdEncoding.EncodeToString(md5sum[:]), "", minio.PutObjectOptions{
			DisableContentSha256: true,
			UserMetadata:         map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(wrong[:])},
		})
	if err == nil {
		t.Fatal("a body that does not match its x-amz-checksum-sha256 was accepted")
	}
	t.Logf("refused: %v", err)
	if _, err := s.Client().StatObject(ctx, bucket, "store/item", minio.StatObjectOptions{}); err == nil {
		t.Error("the refused object exists")
	}
}
