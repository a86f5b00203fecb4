package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// s3Error is an error reply of the server, as the cause of a *kv.Error:
// its code and message, and the HTTP status.
type s3Error struct{ resp minio.ErrorResponse }

func (e *s3Error) Error() string {
	msg := e.resp.Message
	if msg == "" {
		msg = http.StatusText(e.resp.StatusCode)
	}
	if e.resp.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", msg, e.resp.StatusCode)
	}
	return fmt.Sprintf("%s: %s (HTTP %d)", e.resp.Code, msg, e.resp.StatusCode)
}

func (e *s3Error) Unwrap() error { return e.resp }

// The S3 error codes that mean a missing object, a refused request, or a
// link that broke.
var (
	notFoundCodes   = map[string]bool{"NoSuchKey": true, "NotFound": true}
	permissionCodes = map[string]bool{
		"AccessDenied": true, "InvalidAccessKeyId": true, "SignatureDoesNotMatch": true,
		"InvalidToken": true, "ExpiredToken": true, "AllAccessDisabled": true,
		"AccountProblem": true, "InvalidSecurity": true,
		"XAdminUserNotFound": true, // versitygw's InvalidAccessKeyId, with HTTP 404
	}
	connectionCodes = map[string]bool{"RequestTimeout": true, "SlowDown": true, "ServiceUnavailable": true}
)

// fail returns err as the error of op on name: nil stays nil, a *kv.Error
// stays as it is, a done context is the context's error, and an S3 or
// network error is wrapped with the sentinel it means.
func (d *Driver) fail(ctx context.Context, op kv.Op, name string, err error) error {
	if err == nil {
		return nil
	}
	var kerr *kv.Error
	if errors.As(err, &kerr) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		if !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return backendkit.NewError(op, name, nil, err)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code != "" || resp.StatusCode != 0) {
		cause := &s3Error{resp}
		switch {
		case resp.Code == "NoSuchBucket":
			return backendkit.NewError(op, name, kv.ErrNoStore,
				fmt.Errorf("bucket %q does not exist: %w", d.bucket, cause))
		case permissionCodes[resp.Code] || resp.StatusCode == http.StatusForbidden:
			return backendkit.NewError(op, name, kv.ErrPermission, cause)
		case notFoundCodes[resp.Code] || resp.StatusCode == http.StatusNotFound:
			return backendkit.NewError(op, name, kv.ErrNotFound, cause)
		case connectionCodes[resp.Code]:
			return backendkit.NewError(op, name, kv.ErrConnection, cause)
		}
		return backendkit.NewError(op, name, nil, cause)
	}
	if isConnection(err) {
		return backendkit.NewError(op, name, kv.ErrConnection, err)
	}
	return backendkit.NewError(op, name, nil, err)
}

// isConnection reports an error of the link to the server: refused, reset,
// timed out, or closed in the middle of a reply.
func isConnection(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// errCode returns the S3 error code of err, or "".
func errCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// isNotFound reports an error reply that says the object does not exist.
func isNotFound(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code != "NoSuchBucket" && !permissionCodes[resp.Code] &&
		(notFoundCodes[resp.Code] || resp.StatusCode == http.StatusNotFound)
}
