package tracing_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/tracing"
)

// remote is a memory driver that describes itself as a remote one.
type remote struct {
	*memory.Driver
	props kv.Properties
}

func (r remote) Properties() kv.Properties { return r.props }

// failing is a layer whose Load fails with err.
type failing struct {
	kv.Backend
	err error
}

func (f failing) Load(context.Context, string, ...kv.Option) ([]byte, error) { return nil, f.err }
func (f failing) Unwrap() kv.Backend                                         { return f.Backend }

// TestSpanKind checks that spans over a remote driver are client spans
// with the server's address and port, and those over a local one internal
// spans without them.
func TestSpanKind(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		props kv.Properties
		kind  trace.SpanKind
		want  []attribute.KeyValue
	}{
		{"remote with a port", kv.Properties{Scheme: "sftp", Remote: true, Address: "backup.example.net", Port: 2222},
			trace.SpanKindClient, []attribute.KeyValue{attribute.String("server.address", "backup.example.net"),
				attribute.Int("server.port", 2222)}},
		{"remote without a port", kv.Properties{Scheme: "sftp", Remote: true, Address: "backup"},
			trace.SpanKindClient, []attribute.KeyValue{attribute.String("server.address", "backup")}},
		{"remote without a server", kv.Properties{Scheme: "rclone", Remote: true}, trace.SpanKindClient, nil},
		{"local", kv.Properties{Scheme: "file", Address: "ignored", Port: 1}, trace.SpanKindInternal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp, sr := recorded()
			drv := remote{memory.New(""), tc.props}
			l := tracing.New(kvtest.OpenStore(t, drv), tracing.WithTracerProvider(tp))
			if _, err := l.Info(ctx, "ns/a"); err != nil {
				t.Fatal(err)
			}
			s := sr.Ended()[0]
			if s.SpanKind() != tc.kind {
				t.Errorf("kind %v, want %v", s.SpanKind(), tc.kind)
			}
			got := attrs(s)
			want := append(tc.want, tracing.KeyScheme.String(tc.props.Scheme), tracing.KeyName.String("ns/a"),
				tracing.KeyExists.Bool(false))
			for _, w := range want {
				if got[w.Key] != w.Value {
					t.Errorf("%s = %v, want %v", w.Key, got[w.Key].Emit(), w.Value.Emit())
				}
			}
			if len(got) != len(want) {
				t.Errorf("attributes %v, want %v", s.Attributes(), want)
			}
		})
	}
}

type customError struct{}

func (customError) Error() string { return "custom" }

// TestErrorType checks error.type beyond the sentinels.
func TestErrorType(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{backendkit.NewError(kv.OpLoad, "ns/a", kv.ErrConnection, errors.New("reset")), "connection"},
		{backendkit.NewError(kv.OpLoad, "ns/a", nil, context.Canceled), "canceled"},
		{backendkit.NewError(kv.OpLoad, "ns/a", nil, customError{}), "github.com/kvcompose/compose/layers/tracing_test.customError"},
	} {
		tp, sr := recorded()
		l := tracing.New(failing{kvtest.OpenStore(t, memory.New("")), tc.err}, tracing.WithTracerProvider(tp))
		l.Load(ctx, "ns/a")
		if got := attrs(sr.Ended()[0])[tracing.KeyErrorType]; got.AsString() != tc.want {
			t.Errorf("%v: error.type %q, want %q", tc.err, got.AsString(), tc.want)
		}
	}
}
