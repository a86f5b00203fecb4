package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/restserver"
)

// observeFlags are the flags of serve for operators.
type observeFlags struct {
	metricsListen string
	accessLog     string
}

// addObserveFlags adds the flags of f to fl.
func addObserveFlags(fl *pflag.FlagSet, f *observeFlags) {
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve Prometheus metrics on http://ADDR/metrics (HOST:PORT)")
	fl.StringVar(&f.accessLog, "access-log", "", "log one line per request to stderr: --access-log (text) or --access-log=json")
	fl.Lookup("access-log").NoOptDefVal = "text"
}

// serveObserver is what serve exports and logs about itself: traces and
// metrics as the OTEL_* variables ask (see startTelemetry), Prometheus
// metrics on --metrics-listen, an access log with --access-log.
type serveObserver struct {
	tel    *telemetry
	access *slog.Logger
	stderr io.Writer
	srv    *http.Server // of --metrics-listen, or nil
	done   chan error   // the end of srv.Serve
}

// startServeObserver sets up what f and the environment ask for; without
// them it starts nothing.
func startServeObserver(ctx context.Context, f observeFlags, stdio bool, stderr io.Writer) (*serveObserver, error) {
	o := &serveObserver{stderr: stderr}
	if stdio {
		// The console exporters write to stdout, which carries the protocol.
		for _, signal := range []string{"TRACES", "METRICS", "LOGS"} {
			if v := os.Getenv("OTEL_" + signal + "_EXPORTER"); strings.Contains(v, "console") {
				return nil, fmt.Errorf("serve --stdio: OTEL_%s_EXPORTER=%s would write to stdout, which carries the protocol", signal, v)
			}
		}
	}
	switch f.accessLog {
	case "":
	case "text":
		o.access = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		o.access = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return nil, usageErrorf("serve: --access-log %q, want text or json", f.accessLog)
	}
	tel, err := startTelemetry(ctx, f.metricsListen != "")
	if err != nil {
		return nil, fmt.Errorf("serve: OpenTelemetry: %w", err)
	}
	o.tel = tel
	if f.metricsListen != "" {
		ln, err := net.Listen("tcp", f.metricsListen)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("serve: --metrics-listen: %w", err), tel.stop(nil))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(tel.prom, promhttp.HandlerOpts{}))
		o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: restserver.HeaderTimeout,
			IdleTimeout: restserver.IdleTimeout}
		o.done = make(chan error, 1)
		go func() { o.done <- o.srv.Serve(ln) }()
		slog.New(slog.NewTextHandler(stderr, nil)).Info("kvcompose serve: metrics",
			"url", "http://"+ln.Addr().String()+"/metrics")
	}
	return o, nil
}

// storeOptions trace and measure the served stack: its tracing layer
// makes spans from the exported provider (no tracing layer without one),
// its metrics layer measures the store's calls.
func (o *serveObserver) storeOptions() []compose.Option {
	if o.tel.tp == nil {
		return append([]compose.Option{compose.WithoutTracing()}, o.tel.meterOptions()...)
	}
	return append([]compose.Option{compose.WithTracerProvider(o.tel.tp)}, o.tel.meterOptions()...)
}

// handlerOptions make the handler continue the clients' traces, measure
// the requests and log them; server is the address served.
func (o *serveObserver) handlerOptions(server string) []restserver.Option {
	var opts []restserver.Option
	if o.tel.tp != nil {
		opts = append(opts, restserver.WithTracing(o.tel.tp, o.tel.prop))
	}
	if o.tel.mp != nil {
		opts = append(opts, restserver.WithMeterProvider(o.tel.mp))
	}
	if o.access != nil {
		opts = append(opts, restserver.WithAccessLog(o.access))
	}
	if len(opts) > 0 {
		opts = append(opts, restserver.WithServerAddress(server))
	}
	return opts
}

// close stops the metrics server and flushes the exporters; a failure is
// logged.
func (o *serveObserver) close() {
	var err error
	if o.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), restserver.ShutdownTimeout)
		err = o.srv.Shutdown(ctx)
		cancel()
		if serr := <-o.done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	if err = errors.Join(err, o.tel.stop(nil)); err != nil {
		slog.New(slog.NewTextHandler(o.stderr, nil)).Error("kvcompose serve: telemetry", "err", err)
	}
}

// serverAddress is the address that serve's metrics and spans name.
func serverAddress(f serveFlags) string {
	if f.stdio {
		return "stdio"
	}
	return net.JoinHostPort(f.host, fmt.Sprint(f.port))
}
