package rclone

import (
	"context"
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestSentinel(t *testing.T) {
	cases := []struct {
		status int
		msg    string
		want   error
	}{
		{404, "failed to find object: object not found", kv.ErrNotFound},
		{404, "error in ListJSON: directory not found", kv.ErrNotFound},
		{500, "remove /x/y: no such file or directory", kv.ErrNotFound},
		{404, `couldn't find method "operations/hashsum"`, kv.ErrUnsupported},
		{500, "Memory root 'b' doesn't support about", kv.ErrUnsupported},
		{401, "Unauthorized", kv.ErrPermission},
		{500, "open /x: permission denied", kv.ErrPermission},
		{500, "write /x: no space left on device", kv.ErrQuotaExceeded},
		{500, "remove /x: directory not empty", nil},
		{500, "is a directory not a file", nil},
	}
	for _, c := range cases {
		e := &rcError{Status: c.status, Msg: c.msg}
		if got := e.sentinel(); got != c.want {
			t.Errorf("sentinel(%d %q) = %v, want %v", c.status, c.msg, got, c.want)
		}
	}
}

func TestRetry(t *testing.T) {
	transient := &rcError{Status: 500, Msg: "connection reset by peer"}
	cases := []struct {
		name      string
		errs      []error // what f returns on each call
		wantCalls int
		wantErr   bool
	}{
		{"ok", []error{nil}, 1, false},
		{"500 then ok", []error{transient, nil}, 2, false},
		{"500 three times", []error{transient, transient, transient, nil}, 3, true},
		{"404 is not retried", []error{&rcError{Status: 404, Msg: "object not found"}, nil}, 1, true},
		{"permanent 500", []error{&rcError{Status: 500, Msg: "is a directory not a file"}, nil}, 1, true},
		{"connection error", []error{errors.New("connection refused"), nil}, 1, true},
	}
	for _, c := range cases {
		calls := 0
		err := retry(context.Background(), func() error { calls++; return c.errs[calls-1] })
		if calls != c.wantCalls || (err != nil) != c.wantErr {
			t.Errorf("%s: %d calls, err %v; want %d calls, error %v", c.name, calls, err, c.wantCalls, c.wantErr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := retry(ctx, func() error { calls++; cancel(); return transient })
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled retry: %d calls, %v", calls, err)
	}
}
