package s3

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/kv"
)

func TestErrorMapping(t *testing.T) {
	d := &Driver{bucket: "bkt"}
	netErr := func(errno error) error {
		return &url.Error{Op: "Get", URL: "http://x/bkt/k", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}}
	}
	for _, tc := range []struct {
		name string
		err  error
		kind error
		text string
	}{
		{"NoSuchKey", minio.ErrorResponse{Code: "NoSuchKey", Message: "The specified key does not exist.", StatusCode: 404}, kv.ErrNotFound, "NoSuchKey: The specified key does not exist. (HTTP 404)"},
		{"404 of a HEAD", minio.ErrorResponse{StatusCode: 404}, kv.ErrNotFound, "Not Found (HTTP 404)"},
		{"NoSuchBucket", minio.ErrorResponse{Code: "NoSuchBucket", Message: "no bucket", StatusCode: 404}, kv.ErrNoStore, `bucket "bkt" does not exist: NoSuchBucket`},
		{"AccessDenied", minio.ErrorResponse{Code: "AccessDenied", Message: "Access Denied.", StatusCode: 403}, kv.ErrPermission, "AccessDenied: Access Denied."},
		{"InvalidAccessKeyId", minio.ErrorResponse{Code: "InvalidAccessKeyId", StatusCode: 403}, kv.ErrPermission, "InvalidAccessKeyId"},
		{"SignatureDoesNotMatch", minio.ErrorResponse{Code: "SignatureDoesNotMatch", StatusCode: 403}, kv.ErrPermission, "SignatureDoesNotMatch"},
		{"403", minio.ErrorResponse{StatusCode: 403}, kv.ErrPermission, "Forbidden (HTTP 403)"},
		{"SlowDown", minio.ErrorResponse{Code: "SlowDown", StatusCode: 503}, kv.ErrConnection, "SlowDown"},
		{"InternalError", minio.ErrorResponse{Code: "InternalError", Message: "oops", StatusCode: 500}, nil, "InternalError: oops (HTTP 500)"},
		{"refused", netErr(syscall.ECONNREFUSED), kv.ErrConnection, "connection refused"},
		{"reset", netErr(syscall.ECONNRESET), kv.ErrConnection, "connection reset"},
		{"timeout", &url.Error{Op: "Get", URL: "http://x", Err: context.DeadlineExceeded}, kv.ErrConnection, "deadline exceeded"},
		{"cut reply", errors.New("read: " + syscall.EPIPE.Error()), nil, "broken pipe"},
		{"unexpected EOF", errors.Join(errors.New("body"), errors.New("x"), os.ErrClosed), nil, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := d.fail(context.Background(), kv.OpLoad, "ns/k", tc.err)
			if tc.kind != nil && !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), `load "ns/k": `) {
				t.Errorf("%v, want %v saying %q", err, tc.kind, tc.text)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.fail(ctx, kv.OpLoad, "ns/k", netErr(syscall.ECONNRESET))
	if !errors.Is(err, context.Canceled) || errors.Is(err, kv.ErrConnection) {
		t.Errorf("an error after the context ended: %v, want context.Canceled", err)
	}
	if d.fail(ctx, kv.OpLoad, "", nil) != nil {
		t.Error("fail(nil) is not nil")
	}
}
