package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/internal/otlptest"
	"github.com/kvcompose/compose/kv"
)

// otelVars are the OpenTelemetry variables the tests clear or set.
var otelVars = []string{"OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"}

// clearOtel unsets every OTEL_* variable the command reads for the test.
func clearOtel(t *testing.T) {
	for _, v := range otelVars {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

func TestWantSignal(t *testing.T) {
	cases := []struct {
		env            map[string]string
		traces, metric bool
	}{
		{nil, false, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, true, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true, false},
		{map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, false, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false, false},
	}
	for _, c := range cases {
		t.Run("", func(t *testing.T) {
			clearOtel(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if got := wantSignal("TRACES"); got != c.traces {
				t.Errorf("%v: traces %v, want %v", c.env, got, c.traces)
			}
			if got := wantSignal("METRICS"); got != c.metric {
				t.Errorf("%v: metrics %v, want %v", c.env, got, c.metric)
			}
		})
	}
}

// serving is a `kvcompose serve` process.
type serving struct {
	cmd     *exec.Cmd
	url     string // of the store
	metrics string // of /metrics, "" without --metrics-listen

	mu     sync.Mutex
	stderr bytes.Buffer // after the first lines
	copied chan struct{}
}

// startServe runs `kvcompose serve --port 0 --backend FILE:dir args...`
// with env added to the test's environment, until stop or the test's end.
func startServe(t *testing.T, dir string, env []string, args ...string) *serving {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--port", "0", "--backend", "FILE:" + dir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serving{cmd: cmd, copied: make(chan struct{})}
	t.Cleanup(func() { s.stop(t) })
	wantMetrics := strings.Contains(strings.Join(args, " "), "--metrics-listen")
	listening := regexp.MustCompile(`listening" url=(http://[0-9.:]+/)`)
	metrics := regexp.MustCompile(`url=(http://[0-9.:]+/metrics)`)
	lines := bufio.NewScanner(pipe)
	for (s.url == "" || wantMetrics && s.metrics == "") && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			s.url = m[1]
		}
		if m := metrics.FindStringSubmatch(lines.Text()); m != nil {
			s.metrics = m[1]
		}
	}
	if s.url == "" || wantMetrics && s.metrics == "" {
		close(s.copied)
		t.Fatalf("kvcompose serve did not say where it listens (%v)", lines.Err())
	}
	go func() {
		defer close(s.copied)
		for lines.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(lines.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	return s
}

// stop ends the server as Ctrl-C does and returns what it wrote to stderr
// after its first lines.
func (s *serving) stop(t *testing.T) string {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("kvcompose serve: %v", err)
		}
		<-s.copied
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// client opens the store the server serves (creating it first).
func (s *serving) client(t *testing.T, opts ...rest.Option) kv.Backend {
	t.Helper()
	d, err := rest.FromURL(s.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(ctx) })
	return d
}

// scrape fetches url and parses it with Prometheus' text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// value returns the sum over the series of family name whose labels
// include labels: a counter's or gauge's value, a histogram's count.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	var sum float64
	f := families[name]
	if f == nil {
		return 0
	}
series:
	for _, m := range f.Metric {
		for k, v := range labels {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// TestServeMetricsListen scrapes /metrics of `kvcompose serve
// --metrics-listen` with Prometheus' text parser: the request counts and
// bytes by route and status, the store calls' metrics and the quota move
// with the requests, and --access-log json logs one line per request.
func TestServeMetricsListen(t *testing.T) {
	clearOtel(t)
	s := startServe(t, filepath.Join(t.TempDir(), "store"), nil,
		"--metrics-listen", "127.0.0.1:0", "--quota", "1000000", "--access-log=json")
	d := s.client(t)
	ctx := context.Background()
	stores := map[string]string{"http_request_method": "POST", "http_route": "/{name}",
		"http_response_status_code": "200", "kvcompose_operation": "store"}
	before := scrape(t, s.metrics)
	for i := range 3 {
		if err := d.Store(ctx, "data/000"+string(rune('0'+i)), make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Load(ctx, "data/0099"); err == nil {
		t.Fatal("load of a missing item succeeded")
	}
	want := []struct {
		name   string
		labels map[string]string
		delta  float64
	}{
		{"http_server_request_duration_seconds", stores, 3},
		{"http_server_request_body_size_bytes", stores, 3},
		{"http_server_request_duration_seconds", map[string]string{"http_request_method": "GET",
			"http_response_status_code": "404", "kvcompose_operation": "load"}, 1},
		{"kvcompose_operation_duration_seconds", map[string]string{"kvcompose_operation": "store"}, 3},
		{"kvcompose_operation_bytes_total", map[string]string{"kvcompose_operation": "store"}, 3000},
		{"kvcompose_quota_usage_bytes", nil, 3000},
	}
	// The server records a request's metrics once it has sent the answer:
	// scrape until they are all there (or a minute has passed).
	var after map[string]*dto.MetricFamily
	var wrong []string
	for deadline := time.Now().Add(time.Minute); ; {
		after, wrong = scrape(t, s.metrics), nil
		for _, c := range want {
			if got := value(after, c.name, c.labels) - value(before, c.name, c.labels); got != c.delta {
				wrong = append(wrong, fmt.Sprintf("%s%v moved by %v, want %v", c.name, c.labels, got, c.delta))
			}
		}
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, w := range wrong {
		t.Error(w)
	}
	if got := value(after, "kvcompose_quota_limit_bytes", nil); got != 1000000 {
		t.Errorf("kvcompose_quota_limit_bytes = %v, want 1000000", got)
	}
	for _, name := range []string{"http_server_active_requests", "kvcompose_server_request_body_memory_bytes",
		"http_server_response_body_size_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}

	d.Close(ctx)
	var logged []map[string]any
	for line := range strings.Lines(s.stop(t)) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
			logged = append(logged, rec)
		}
	}
	var storesLogged int
	for _, rec := range logged {
		if rec["method"] == "POST" && strings.HasPrefix(rec["name"].(string), "/data/000") &&
			rec["status"] == 200.0 && rec["bytes_in"] == 1000.0 && rec["duration"] != nil {
			storesLogged++
		}
	}
	if storesLogged != 3 {
		t.Errorf("the access log has %d lines of the 3 stores; its lines: %v", storesLogged, logged)
	}
}

// TestServeOTLPExport runs `kvcompose serve` with the standard OTEL_*
// variables pointing to an OTLP/HTTP receiver in the test: it receives the
// server's request spans (children of the client's, whose trace id the
// access log names) and its metrics.
func TestServeOTLPExport(t *testing.T) {
	clearOtel(t)
	r := otlptest.New(t)
	s := startServe(t, filepath.Join(t.TempDir(), "store"), []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.URL, "OTEL_SERVICE_NAME=kvcompose-test"}, "--access-log")
	tp := sdktrace.NewTracerProvider()
	d := s.client(t, rest.WithPropagator(propagation.TraceContext{}))
	ctx, caller := tp.Tracer("test").Start(context.Background(), "caller")
	if err := d.Store(ctx, "data/0001", []byte("value")); err != nil {
		t.Fatal(err)
	}
	caller.End()
	d.Close(ctx)
	stderr := s.stop(t)

	traceID := caller.SpanContext().TraceID()
	var server bool
	for _, sp := range r.Spans() {
		if sp.Name == "POST /{name}" && hex.EncodeToString(sp.TraceId) == traceID.String() {
			server = true
		}
	}
	if !server {
		t.Errorf("no server span POST /{name} in the caller's trace among %d spans received", len(r.Spans()))
	}
	names := map[string]bool{}
	for _, m := range r.Metrics() {
		names[m.Name] = true
	}
	for _, want := range []string{"http.server.request.duration", "http.server.active_requests",
		"kvcompose.operation.duration", "kvcompose.operation.bytes"} {
		if !names[want] {
			t.Errorf("no metric %s received; got %v", want, names)
		}
	}
	if !strings.Contains(stderr, "trace_id="+traceID.String()) {
		t.Errorf("the access log does not name the caller's trace %s:\n%s", traceID, stderr)
	}
}

// TestServeNoTelemetry runs serve in this process without OTEL_*
// variables: no tracer or meter provider is set up, and no goroutine of
// OpenTelemetry's SDK runs while it serves.
func TestServeNoTelemetry(t *testing.T) {
	clearOtel(t)
	tel, err := startTelemetry(context.Background(), false)
	if err != nil || tel.tp != nil || tel.mp != nil || len(tel.shutdown) != 0 {
		t.Fatalf("startTelemetry without OTEL_* variables: %+v, %v; want nothing", tel, err)
	}
	tpBefore := otel.GetTracerProvider()

	pr, pw := io.Pipe()
	sess := &session{stdin: strings.NewReader(""), stdout: io.Discard, stderr: pw}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--port", "0", "--backend", "FILE:" + filepath.Join(t.TempDir(), "s")}, sess)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for url == "" && lines.Scan() {
		if m := regexp.MustCompile(`url=(http://[0-9.:]+/)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		t.Fatal("serve did not say where it listens")
	}
	d, err := rest.FromURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	var stacks bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&stacks, 2)
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited with %d", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	for _, sdk := range []string{"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters",
		"go.opentelemetry.io/contrib"} {
		if strings.Contains(stacks.String(), sdk) {
			t.Errorf("a goroutine of %s runs while serving without OTEL_* variables:\n%s", sdk, stacks.String())
		}
	}
	if otel.GetTracerProvider() != tpBefore {
		t.Error("serve set a global tracer provider without OTEL_* variables")
	}
}

// TestBenchOTLPExport runs bench with OTEL_EXPORTER_OTLP_ENDPOINT: the
// store calls' spans and metrics reach the receiver.
func TestBenchOTLPExport(t *testing.T) {
	clearOtel(t)
	r := otlptest.New(t)
	res := kvc(t, "", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.URL},
		"bench", "-n", "5", "--rounds", "1", "file://"+filepath.Join(t.TempDir(), "bench"))
	if res.code != exitOK {
		t.Fatalf("bench: %d\n%s", res.code, res.stderr)
	}
	spans := map[string]bool{}
	for _, sp := range r.Spans() {
		spans[sp.Name] = true
	}
	if !spans["kv.store"] || !spans["kv.load"] {
		t.Errorf("no kv.store and kv.load spans received: %v", spans)
	}
	metrics := map[string]bool{}
	for _, m := range r.Metrics() {
		metrics[m.Name] = true
	}
	if !metrics["kvcompose.operation.duration"] {
		t.Errorf("no kvcompose.operation.duration received: %v", metrics)
	}
}

// TestServeObserveFlags checks the flags and variables serve refuses: an
// unknown access log format, and a console exporter under --stdio, whose
// stdout carries the protocol.
func TestServeObserveFlags(t *testing.T) {
	clearOtel(t)
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"serve", "--backend", "mem://x", "--access-log=xml"}, "text or json"},
		{"OTEL_TRACES_EXPORTER=console", []string{"serve", "--backend", "mem://x", "--stdio"}, "stdout"},
		{"OTEL_METRICS_EXPORTER=console", []string{"serve", "--backend", "mem://x", "--stdio"}, "stdout"},
		{"", []string{"serve", "--backend", "mem://x", "--port", "0", "--metrics-listen", "256.0.0.1:x"}, "--metrics-listen"},
	} {
		t.Run("", func(t *testing.T) {
			if k, v, ok := strings.Cut(c.env, "="); ok {
				t.Setenv(k, v)
			}
			err := execute(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %v: %v, want an error with %q", c.env, c.args, err, c.want)
			}
		})
	}
}
