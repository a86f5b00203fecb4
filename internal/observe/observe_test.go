package observe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"runtime/debug"
	"testing"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

func TestVersionIn(t *testing.T) {
	dep := func(path, version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: path, Version: version, Replace: replace}
	}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"main, tagged", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "v1.2.3"}}, "v1.2.3"},
		{"main, go test", debug.BuildInfo{Main: debug.Module{Path: Module}}, "(devel)"},
		{"main, go run", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "(devel)"}}, "(devel)"},
		{"dependency", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{dep("golang.org/x/time", "v0.16.0", nil), dep(Module, "v0.4.0", nil)}}, "v0.4.0"},
		{"replaced by a version", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{dep(Module, "v0.4.0", dep("example.com/fork", "v0.4.1", nil))}}, "v0.4.1"},
		{"replaced by a directory", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{dep(Module, "v0.4.0", dep("../compose", "", nil))}}, "v0.4.0"},
		{"absent", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}}, ""},
	} {
		if got := versionIn(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if v := Version(); v != "(devel)" {
		t.Errorf("Version() in a test of the module = %q, want (devel)", v)
	}
}

type customError struct{}

func (customError) Error() string { return "custom" }

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err      error
		want     string
		expected bool
	}{
		{nil, "", false},
		{backendkit.NewError(kv.OpLoad, "ns/a", kv.ErrNotFound, fs.ErrNotExist), "not_found", true},
		{fmt.Errorf("outer: %w", backendkit.NewError(kv.OpStore, "ns/a", kv.ErrConnection, context.Canceled)), "canceled", true},
		{backendkit.NewError(kv.OpList, "ns", nil, context.DeadlineExceeded), "deadline_exceeded", true},
		{backendkit.NewError(kv.OpStore, "ns/A", kv.ErrInvalidName, nil), "invalid_name", false},
		{kv.ErrQuotaExceeded, "quota_exceeded", false},
		{backendkit.NewError(kv.OpStore, "ns/a", kv.ErrSizeMismatch, nil), "size_mismatch", false},
		{backendkit.NewError(kv.OpLoad, "ns/a", nil, customError{}), "github.com/kvcompose/compose/internal/observe.customError", false},
		{fmt.Errorf("wrapped: %w", customError{}), "github.com/kvcompose/compose/internal/observe.customError", false},
		{errors.New("plain"), "*errors.errorString", false},
	} {
		if got := ErrorType(tc.err); got != tc.want {
			t.Errorf("ErrorType(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if got := Expected(tc.err); got != tc.expected {
			t.Errorf("Expected(%v) = %v, want %v", tc.err, got, tc.expected)
		}
	}
	if n := len(ErrorTypes()); n != 15 {
		t.Errorf("%d error types", n)
	}
}

// items yields n items, then err if not nil.
func items(n int, err error) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		for i := range n {
			if !yield(kv.ItemInfo{Name: fmt.Sprint(i), Exists: true}, nil) {
				return
			}
		}
		if err != nil {
			yield(kv.ItemInfo{}, err)
		}
	}
}

func TestList(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		seq   iter.Seq2[kv.ItemInfo, error]
		stop  int // stop after this many entries, 0: never
		want  ListResult
		ticks int // clock readings that fall inside the backend
	}{
		{"all", items(3, nil), 0, ListResult{Items: 3}, 4},
		{"abandoned", items(3, nil), 2, ListResult{Items: 2, Abandoned: true}, 2},
		{"error", items(1, boom), 0, ListResult{Items: 1, Err: boom}, 3},
		{"empty", items(0, nil), 0, ListResult{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every reading moves the clock 1 ms; the loop body moves it 1 h.
			var now time.Time
			clock := func() time.Time { now = now.Add(time.Millisecond); return now }
			var got []ListResult
			n := 0
			List(tc.seq, clock, func(kv.ItemInfo, error) bool {
				now = now.Add(time.Hour)
				n++
				return n != tc.stop
			}, func(r ListResult) { got = append(got, r) })
			tc.want.Inside = time.Duration(tc.ticks) * time.Millisecond
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("done with %+v, want once %+v", got, tc.want)
			}
		})
	}
}

func TestListPanic(t *testing.T) {
	var got []ListResult
	func() {
		defer func() { recover() }()
		List(items(3, nil), nil, func(kv.ItemInfo, error) bool { panic("body") },
			func(r ListResult) { got = append(got, r) })
	}()
	if len(got) != 1 || got[0] != (ListResult{Items: 1}) {
		t.Errorf("done with %+v after a panic, want once {Items: 1}", got)
	}
}
