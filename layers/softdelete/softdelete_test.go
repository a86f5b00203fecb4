package softdelete

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
)

// initial is the driver-level content every case starts from.
const initial = "both=B1 both.del=B0 gone.del=G live=L"

// setup returns an open layer over a fresh memory driver holding initial
// in the directory "ns".
func setup(t *testing.T) *Layer {
	t.Helper()
	l := New(memory.New(""))
	kvtest.OpenStore(t, l)
	ctx := t.Context()
	for _, entry := range strings.Fields(initial) {
		name, value, _ := strings.Cut(entry, "=")
		if err := l.Unwrap().Store(ctx, "ns/"+name, []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Mkdir(ctx, "ns/sub.del"); err != nil {
		t.Fatal(err)
	}
	return l
}

// state returns the driver-level items of "ns" as "name=value ...".
func state(t *testing.T, b kv.Backend) string {
	t.Helper()
	var out []string
	for info, err := range b.List(t.Context(), "ns") {
		if err != nil {
			t.Fatal(err)
		}
		if info.Directory {
			continue
		}
		v, err := b.Load(t.Context(), "ns/"+info.Name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Name+"="+string(v))
	}
	return strings.Join(out, " ")
}

type call func(ctx context.Context, l *Layer) (string, error)

func TestVerbs(t *testing.T) {
	del := kv.Deleted()
	load := func(name string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			v, err := l.Load(ctx, "ns/"+name, opts...)
			return string(v), err
		}
	}
	loadStream := func(name string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			r, err := l.LoadStream(ctx, "ns/"+name, opts...)
			if err != nil {
				return "", err
			}
			defer r.Close()
			v, err := io.ReadAll(r)
			return string(v), err
		}
	}
	storeStream := func(value string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			return "", l.StoreStream(ctx, "ns/x", strings.NewReader(value), int64(len(value)), opts...)
		}
	}
	info := func(name string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			i, err := l.Info(ctx, "ns/"+name, opts...)
			if i.Exists && i.Name != "ns/"+name {
				return "wrong name " + i.Name, err
			}
			return map[bool]string{true: "exists", false: "missing"}[i.Exists], err
		}
	}
	hash := func(name string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			h, err := l.Hash(ctx, "ns/"+name, "md5", opts...)
			if want, _ := backendkit.HashBytes("md5", []byte("G")); h == want {
				return "G", err
			}
			return h, err
		}
	}
	remove := func(name string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) { return "", l.Delete(ctx, "ns/"+name, opts...) }
	}
	move := func(from, to string, opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			if to != "" {
				to = "ns/" + to
			}
			return "", l.Move(ctx, "ns/"+from, to, opts...)
		}
	}
	list := func(opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			var names []string
			for i, err := range l.List(ctx, "ns", opts...) {
				if err != nil {
					return "", err
				}
				names = append(names, i.Name)
			}
			return strings.Join(names, " "), nil
		}
	}
	defrag := func(opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) {
			return l.Defrag(ctx, []kv.Block{{Name: "ns/gone", Size: 1}, {Name: "ns/both", Size: 2}},
				append(opts, kv.Target("ns/new"))...)
		}
	}
	store := func(opts ...kv.Option) call {
		return func(ctx context.Context, l *Layer) (string, error) { return "", l.Store(ctx, "ns/x", nil, opts...) }
	}
	tests := []struct {
		name  string
		call  call
		want  string
		err   error
		state string // "" for unchanged
	}{
		{"info live", info("live"), "exists", nil, ""},
		{"info live deleted", info("live", del), "missing", nil, ""},
		{"info gone", info("gone"), "missing", nil, ""},
		{"info gone deleted", info("gone", del), "exists", nil, ""},
		{"load both", load("both"), "B1", nil, ""},
		{"load both deleted", load("both", del), "B0", nil, ""},
		{"load gone", load("gone"), "", kv.ErrNotFound, ""},
		{"load live deleted", load("live", del), "", kv.ErrNotFound, ""},
		{"load deleted range", load("both", kv.Range(1, 1), del), "0", nil, ""},
		{"load stream both", loadStream("both"), "B1", nil, ""},
		{"load stream both deleted", loadStream("both", del), "B0", nil, ""},
		{"load stream gone", loadStream("gone"), "", kv.ErrNotFound, ""},
		{"load stream live deleted", loadStream("live", del), "", kv.ErrNotFound, ""},
		{"load stream deleted range", loadStream("both", kv.Range(1, 1), del), "0", nil, ""},
		{"load stream undelete", loadStream("live", kv.Undelete()), "", kv.ErrUnsupported, ""},
		{"store stream", storeStream("X"), "", nil, "both=B1 both.del=B0 gone.del=G live=L x=X"},
		{"store stream deleted", storeStream("X", del), "", kv.ErrUnsupported, ""},
		{"store stream soft delete", storeStream("X", kv.SoftDelete()), "", kv.ErrUnsupported, ""},
		{"hash gone deleted", hash("gone", del), "G", nil, ""},
		{"hash gone", hash("gone"), "", kv.ErrNotFound, ""},
		{"delete live", remove("live"), "", nil, "both=B1 both.del=B0 gone.del=G"},
		{"delete both", remove("both"), "", nil, "both.del=B0 gone.del=G live=L"},
		{"delete both deleted", remove("both", del), "", nil, "both=B1 gone.del=G live=L"},
		{"delete gone", remove("gone"), "", kv.ErrNotFound, ""},
		{"delete live deleted", remove("live", del), "", kv.ErrNotFound, ""},
		{"soft delete live", move("live", "", kv.SoftDelete()), "", nil, "both=B1 both.del=B0 gone.del=G live.del=L"},
		{"soft delete both", move("both", "", kv.SoftDelete()), "", nil, "both.del=B1 gone.del=G live=L"},
		{"soft delete in place", move("live", "live", kv.SoftDelete()), "", nil, "both=B1 both.del=B0 gone.del=G live.del=L"},
		{"soft delete gone", move("gone", "", kv.SoftDelete()), "", kv.ErrNotFound, ""},
		{"undelete gone", move("gone", "", kv.Undelete()), "", nil, "both=B1 both.del=B0 gone=G live=L"},
		{"undelete both", move("both", "", kv.Undelete()), "", nil, "both=B0 gone.del=G live=L"},
		{"undelete live", move("live", "", kv.Undelete()), "", kv.ErrNotFound, ""},
		{"move deleted", move("gone", "other", del), "", nil, "both=B1 both.del=B0 live=L other.del=G"},
		{"move live", move("live", "other"), "", nil, "both=B1 both.del=B0 gone.del=G other=L"},
		{"soft delete elsewhere", move("live", "other", kv.SoftDelete()), "", kv.ErrUnsupported, ""},
		{"soft delete and undelete", move("live", "", kv.SoftDelete(), kv.Undelete()), "", kv.ErrUnsupported, ""},
		{"soft delete deleted", move("live", "", kv.SoftDelete(), del), "", kv.ErrUnsupported, ""},
		{"list", list(), "both live sub.del", nil, ""},
		{"list deleted", list(del), "both gone", nil, ""},
		{"defrag deleted", defrag(del), "ns/new", nil, "both=B1 both.del=B0 gone.del=G live=L new=GB0"},
		{"defrag live", defrag(), "", kv.ErrNotFound, ""},
		{"store deleted", store(del), "", kv.ErrUnsupported, ""},
		{"store soft delete", store(kv.SoftDelete()), "", kv.ErrUnsupported, ""},
		{"load undelete", load("live", kv.Undelete()), "", kv.ErrUnsupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := setup(t)
			got, err := tt.call(t.Context(), l)
			if !errors.Is(err, tt.err) || tt.err == nil && err != nil {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			want := cmp.Or(tt.state, initial)
			if s := state(t, l.Unwrap()); s != want {
				t.Errorf("driver holds %q, want %q", s, want)
			}
		})
	}
}

func TestListStopsEarly(t *testing.T) {
	l := setup(t)
	var got []string
	for info, err := range l.List(t.Context(), "ns", kv.Deleted()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, info.Name)
		break
	}
	if !slices.Equal(got, []string{"both"}) {
		t.Errorf("got %q", got)
	}
}

func TestListErrorPassesThrough(t *testing.T) {
	l := setup(t)
	for _, err := range l.List(t.Context(), "missing", kv.Deleted()) {
		if !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("list missing: %v, want ErrNotFound", err)
		}
	}
}
