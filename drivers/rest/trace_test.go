package rest_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/internal/otlptest"
	"github.com/kvcompose/compose/layers/tracing"
	"github.com/kvcompose/compose/restserver"
)

// span is a finished span, from the recorder in the test or from the OTLP
// export of a server process.
type span struct {
	name            string
	trace, id, up   string // hex trace id, span id, parent span id ("" for a root)
	kind            string
	remoteProcesses bool // received over OTLP
}

func recorded(rec *tracetest.SpanRecorder) []span {
	var out []span
	for _, s := range rec.Ended() {
		sp := span{name: s.Name(), trace: s.SpanContext().TraceID().String(),
			id: s.SpanContext().SpanID().String(), kind: s.SpanKind().String()}
		if s.Parent().IsValid() {
			sp.up = s.Parent().SpanID().String()
		}
		out = append(out, sp)
	}
	return out
}

func received(r *otlptest.Receiver) []span {
	var out []span
	for _, s := range r.Spans() {
		out = append(out, span{name: s.Name, trace: hex.EncodeToString(s.TraceId),
			id: hex.EncodeToString(s.SpanId), up: hex.EncodeToString(s.ParentSpanId),
			kind: strings.ToLower(strings.TrimPrefix(s.Kind.String(), "SPAN_KIND_")), remoteProcesses: true})
	}
	return out
}

// checkTrace checks that every span is in the caller's trace with a parent
// among the spans (the caller alone is a root, but for the server closing
// its store as it stops), and that a store and a load
// each went caller -> kv.<op> (client stack) -> HTTP <method> (driver) ->
// <method> /{name} (server) -> kv.<op> (served stack).
func checkTrace(t *testing.T, caller trace.SpanContext, spans []span) {
	t.Helper()
	byID := map[string]span{}
	for _, s := range spans {
		byID[s.id] = s
	}
	for _, s := range spans {
		if s.up == "" && s.name == "kv.close" && s.kind == "internal" {
			continue // the server closes its store as it stops: a trace of its own
		}
		if s.trace != caller.TraceID().String() {
			t.Errorf("span %s (%s) is in trace %s, want the caller's %s", s.name, s.kind, s.trace, caller.TraceID())
		}
		if _, ok := byID[s.up]; !ok && s.id != caller.SpanID().String() {
			t.Errorf("span %s (%s) has parent %q, which is none of the trace's spans", s.name, s.kind, s.up)
		}
	}
	chain := func(s span) []string {
		var names []string
		for {
			names = append(names, s.name+"/"+s.kind)
			up, ok := byID[s.up]
			if !ok {
				return names
			}
			s = up
		}
	}
	for _, want := range [][]string{
		{"kv.store/internal", "POST /{name}/server", "HTTP POST/client", "kv.store/client", "caller/internal"},
		{"kv.load/internal", "GET /{name}/server", "HTTP GET/client", "kv.load/client", "caller/internal"},
	} {
		found := false
		var seen [][]string
		for _, s := range spans {
			if s.name+"/"+s.kind == want[0] {
				c := chain(s)
				seen = append(seen, c)
				found = found || slices.Equal(c, want)
			}
		}
		if !found {
			t.Errorf("no span chain %v; the chains from %s: %v", want, want[0], seen)
		}
	}
}

// traceCalls runs a store and a load through a tracing layer over d in the
// span "caller", and returns the caller's span context.
func traceCalls(t *testing.T, tp trace.TracerProvider, d *rest.Driver) trace.SpanContext {
	t.Helper()
	store := tracing.New(d, tracing.WithTracerProvider(tp))
	ctx, caller := tp.Tracer("test").Start(context.Background(), "caller")
	if err := store.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.Store(ctx, "data/0011", []byte("traced")); err != nil {
		t.Fatal(err)
	}
	if v, err := store.Load(ctx, "data/0011"); err != nil || string(v) != "traced" {
		t.Fatalf("load: %q, %v", v, err)
	}
	if err := store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	caller.End()
	return caller.SpanContext()
}

// propagator is W3C trace context and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// TestTraceInProcess serves a posixfs store under a tracing layer with the
// Handler continuing the clients' traces, in this process: the spans of
// the caller, the client and the server form one trace.
func TestTraceInProcess(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	drv := mustPosixfs(t, filepath.Join(t.TempDir(), "store"))
	h := restserver.New(tracing.New(drv, tracing.WithTracerProvider(tp)), restserver.WithTracing(tp, propagator))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- restserver.Serve(ctx, ln, h, "", "") }()
	d, err := rest.FromURL("http://"+ln.Addr().String()+"/", rest.WithTracerProvider(tp), rest.WithPropagator(propagator))
	if err != nil {
		t.Fatal(err)
	}
	caller := traceCalls(t, tp, d)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkTrace(t, caller, recorded(rec))
}

// otelEnv makes the kvcompose processes started by the test export their
// traces to r, and nothing else.
func otelEnv(t *testing.T, r *otlptest.Receiver) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_PROPAGATORS", "tracecontext,baggage")
}

// TestTraceProcessHTTP runs `kvcompose serve` over posixfs, exporting its
// spans over OTLP/HTTP to a receiver in the test, and traces calls through
// it over HTTP: the server's spans continue the client's trace.
func TestTraceProcessHTTP(t *testing.T) {
	r := otlptest.New(t)
	otelEnv(t, r)
	url, stop := startServeProcess(t, filepath.Join(t.TempDir(), "store"))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	d, err := rest.FromURL(url, rest.WithPropagator(propagator))
	if err != nil {
		t.Fatal(err)
	}
	caller := traceCalls(t, tp, d)
	// The server flushes its spans when it ends.
	if err := stop(); err != nil {
		t.Fatalf("kvcompose serve: %v", err)
	}
	checkTrace(t, caller, append(recorded(rec), received(r)...))
}

// TestTraceProcessStdio traces calls through `kvcompose serve --stdio`,
// started by the driver, exporting its spans to a receiver in the test.
func TestTraceProcessStdio(t *testing.T) {
	r := otlptest.New(t)
	otelEnv(t, r)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	// Close of the store ends the process, which flushes its spans.
	caller := traceCalls(t, tp, stdioClient(t, rest.WithPropagator(propagator)))
	checkTrace(t, caller, append(recorded(rec), received(r)...))
}

// startServeProcess runs `kvcompose serve --port 0 --backend FILE:dir
// flags...` until stop (or the end of the test) and returns the URL it
// serves; its stderr is read and dropped.
func startServeProcess(tb testing.TB, dir string, flags ...string) (url string, stop func() error) {
	tb.Helper()
	cmd := exec.Command(needBinary(tb), append([]string{"serve", "--port", "0", "--backend", "FILE:" + dir}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var once sync.Once
	var waitErr error
	stop = func() error {
		once.Do(func() {
			cmd.Process.Signal(interrupt)
			waitErr = cmd.Wait()
		})
		return waitErr
	}
	tb.Cleanup(func() { stop() })
	listening := regexp.MustCompile(`listening" url=(http://[0-9.:]+/)`)
	lines := bufio.NewScanner(stderr)
	for url == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		tb.Fatal("kvcompose serve did not say where it listens")
	}
	go io.Copy(io.Discard, stderr)
	return url, stop
}
