package observe

import (
	"context"
	"errors"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/kvcompose/compose/kv"
)

// errorTypes are the values of error.type for the sentinels, in the order
// they are tested: the context's errors first, since a driver may wrap a
// cancellation into another sentinel.
var errorTypes = []struct {
	err  error
	name string
}{
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "deadline_exceeded"},
	{kv.ErrNotFound, "not_found"},
	{kv.ErrExists, "exists"},
	{kv.ErrNoStore, "no_store"},
	{kv.ErrNotOpen, "not_open"},
	{kv.ErrAlreadyOpen, "already_open"},
	{kv.ErrInvalidName, "invalid_name"},
	{kv.ErrInvalidURL, "invalid_url"},
	{kv.ErrUnsupported, "unsupported"},
	{kv.ErrReadRange, "read_range"},
	{kv.ErrPermission, "permission"},
	{kv.ErrQuotaExceeded, "quota_exceeded"},
	{kv.ErrSizeMismatch, "size_mismatch"},
	{kv.ErrConnection, "connection"},
}

// ErrorTypes returns every value ErrorType gives for a sentinel error, so
// that a layer can prepare its attributes ahead of the calls.
func ErrorTypes() []string {
	names := make([]string, len(errorTypes))
	for i, e := range errorTypes {
		names[i] = e.name
	}
	return names
}

// ErrorType returns the value of the OpenTelemetry attribute error.type
// for err: the short name of its sentinel ("not_found", "canceled", ...,
// see ErrorTypes), or else the Go type of the error as the semantic
// conventions say ("*net.OpError"; fmt.Errorf wrappers and a *kv.Error
// without a sentinel are looked through). It is "" for nil.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	for _, e := range errorTypes {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	var ke *kv.Error
	if errors.As(err, &ke) && ke.Kind == nil && ke.Err != nil {
		err = ke.Err
	}
	return semconv.ErrorType(err).Value.AsString()
}

// Expected reports whether err is an error a caller expects in the normal
// course of things rather than a failure: an item that is not there
// (kv.ErrNotFound), or a call the caller cancelled or gave a deadline
// (context.Canceled, context.DeadlineExceeded).
func Expected(err error) bool {
	return errors.Is(err, kv.ErrNotFound) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}
