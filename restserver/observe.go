package restserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
)

// ScopeName is the instrumentation scope of the Handler's own metrics
// (requests in flight, quota, body memory); the request spans and the
// HTTP metrics are otelhttp's.
const ScopeName = "github.com/kvcompose/compose/restserver"

// The names of the Handler's own instruments, beside otelhttp's
// http.server.request.duration, http.server.request.body.size and
// http.server.response.body.size.
const (
	// ActiveRequestsName counts the requests being answered
	// (http.server.active_requests of the HTTP semantic conventions).
	ActiveRequestsName = "http.server.active_requests"
	// QuotaLimitName is the store's quota limit in bytes (-1: none), while
	// the store is open.
	QuotaLimitName = "kvcompose.quota.limit"
	// QuotaUsageName is the bytes of values the store holds, as its quota
	// layer counts them, while the store is open.
	QuotaUsageName = "kvcompose.quota.usage"
	// BodyMemoryName is the memory held by bodies: read whole, or the
	// buffers of streams (see WithMemoryBudget).
	BodyMemoryName = "kvcompose.server.request_body.memory"
)

// KeyOperation (kvcompose.operation) is on the HTTP metrics and the
// request spans: the store call a request asks for ("load", "store",
// "list", "info", "mkdir", ...), as the metrics layer names it.
const KeyOperation = attribute.Key("kvcompose.operation")

// WithTracing makes the Handler continue the trace of each request: the
// trace context (W3C traceparent, tracestate, baggage: whatever p
// extracts) is taken from the request's headers, and a span of kind
// server, following OpenTelemetry's HTTP semantic conventions (otelhttp),
// is started from tp as its child; the store's calls run in the context
// of that span, so a tracing layer in the served stack makes its spans
// children of it. A nil tp is the global provider, a nil p the global
// propagator. Without WithTracing, WithMeterProvider and WithAccessLog, a
// request costs nothing extra.
func WithTracing(tp trace.TracerProvider, p propagation.TextMapPropagator) Option {
	return func(h *Handler) {
		o := h.observer()
		o.tp, o.prop = tp, p
		if o.tp == nil {
			o.tp = otel.GetTracerProvider()
		}
		if o.prop == nil {
			o.prop = otel.GetTextMapPropagator()
		}
	}
}

// WithMeterProvider makes the Handler record metrics with mp: otelhttp's
// request duration, request and response body sizes (by method, status
// code, http.route and KeyOperation), the requests in flight
// (ActiveRequestsName), the memory held by request bodies
// (BodyMemoryName), and while the store is open its quota (QuotaLimitName,
// QuotaUsageName: a Quota call on the store at each collection). A nil mp
// is the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(h *Handler) {
		if mp == nil {
			mp = otel.GetMeterProvider()
		}
		h.observer().mp = mp
	}
}

// WithAccessLog makes the Handler log one record per request to l, at
// Info level, when the answer is sent: method, name, status, bytes in and
// out, duration, and the trace id when the request is traced.
func WithAccessLog(l *slog.Logger) Option {
	return func(h *Handler) { h.observer().access = l }
}

// WithServerAddress names the server (host or host:port) in the spans'
// and metrics' server.address and server.port, instead of the Host header
// of each request, which a client chooses.
func WithServerAddress(addr string) Option {
	return func(h *Handler) { h.observer().server = addr }
}

// observer is what the observing options set up: the handler that wraps
// the protocol's (spans, metrics, access log) and the Handler's own
// instruments.
type observer struct {
	tp     trace.TracerProvider
	prop   propagation.TextMapPropagator
	mp     metric.MeterProvider
	access *slog.Logger
	server string

	next   http.Handler              // the protocol's handler, wrapped
	active metric.Int64UpDownCounter // nil without a meter provider
	// activeSets are the attribute sets of active, by method and scheme.
	activeSets map[[2]string]metric.AddOption
}

// observer returns h's observer, made on first use.
func (h *Handler) observer() *observer {
	if h.obs == nil {
		h.obs = &observer{}
	}
	return h.obs
}

// ServeHTTP answers one request of borgstore's REST protocol, observed as
// the options say.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.obs == nil {
		h.serveRequest(w, r)
		return
	}
	h.obs.serve(w, r)
}

// setup builds the wrapped handler, once the options are applied.
func (o *observer) setup(h *Handler) {
	var next http.Handler = http.HandlerFunc(h.serveRequest)
	if o.access != nil {
		next = o.logged(next)
	}
	if o.tp == nil && o.mp == nil {
		o.next = next
		return
	}
	tp, mp, prop := o.tp, o.mp, o.prop
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	if prop == nil {
		prop = propagation.NewCompositeTextMapPropagator()
	}
	opts := []otelhttp.Option{otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp),
		otelhttp.WithPropagators(prop), otelhttp.WithMetricAttributesFn(operationAttrs)}
	if o.server != "" {
		opts = append(opts, otelhttp.WithServerName(o.server))
	}
	o.next = otelhttp.NewHandler(next, "kvcompose serve", opts...)
	if o.mp != nil {
		o.instruments(h)
	}
}

// instruments makes the Handler's own instruments.
func (o *observer) instruments(h *Handler) {
	meter := o.mp.Meter(ScopeName, metric.WithInstrumentationVersion(observe.Version()),
		metric.WithSchemaURL(observe.SchemaURL))
	var err error
	o.active, err = meter.Int64UpDownCounter(ActiveRequestsName, metric.WithUnit("{request}"),
		metric.WithDescription("Number of active HTTP server requests."))
	if err != nil {
		otel.Handle(err)
		o.active = nil
	}
	o.activeSets = map[[2]string]metric.AddOption{}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete, "_OTHER"} {
		for _, s := range []string{"http", "https"} {
			o.activeSets[[2]string{m, s}] = metric.WithAttributeSet(attribute.NewSet(
				semconv.HTTPRequestMethodKey.String(m), semconv.URLScheme(s)))
		}
	}
	limit, err1 := meter.Int64ObservableGauge(QuotaLimitName, metric.WithUnit("By"),
		metric.WithDescription("Quota limit of the served store in bytes (-1: none)."))
	usage, err2 := meter.Int64ObservableGauge(QuotaUsageName, metric.WithUnit("By"),
		metric.WithDescription("Bytes of values the served store holds, as its quota counts them."))
	memory, err3 := meter.Int64ObservableGauge(BodyMemoryName, metric.WithUnit("By"),
		metric.WithDescription("Memory held by request bodies being read."))
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			otel.Handle(err)
			return
		}
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, ob metric.Observer) error {
		ob.ObserveInt64(memory, h.bodyMemoryInUse())
		if q, ok := h.quotaIfOpen(ctx); ok {
			ob.ObserveInt64(limit, q.Limit)
			ob.ObserveInt64(usage, q.Usage)
		}
		return nil
	}, limit, usage, memory)
	if err != nil {
		otel.Handle(err)
	}
}

// bodyMemoryInUse is the memory held by request bodies being read (the
// bytes reserved from the memory budget, see WithMemoryBudget), which
// BodyMemoryName reports.
func (h *Handler) bodyMemoryInUse() int64 {
	if h.mem == nil {
		return 0
	}
	return h.mem.inUse()
}

// quotaIfOpen returns the quota of the store when it is open (a scrape
// does not open it).
func (h *Handler) quotaIfOpen(ctx context.Context) (kv.Quota, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !h.open.Load() {
		return kv.Quota{}, false
	}
	q, err := h.b.Quota(ctx)
	return q, err == nil
}

// serve answers r through the observing handlers.
func (o *observer) serve(w http.ResponseWriter, r *http.Request) {
	// The route names the span ("POST /{name}") and labels the metrics:
	// a template of the path, as a router's pattern would be.
	r.Pattern = r.Method + " " + route(r)
	if o.active != nil {
		attrs, ok := o.activeSets[[2]string{r.Method, scheme(r)}]
		if !ok {
			attrs = o.activeSets[[2]string{"_OTHER", scheme(r)}]
		}
		ctx := r.Context()
		o.active.Add(ctx, 1, attrs)
		defer o.active.Add(ctx, -1, attrs)
	}
	o.next.ServeHTTP(w, r)
}

// scheme is the url.scheme of r.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// route returns the template of r's path: "/" for the store, "/{name}"
// for an item, "/{name}/" for a listing.
func route(r *http.Request) string {
	p := r.URL.EscapedPath()
	switch {
	case p == "/" || p == "":
		return "/"
	case p[len(p)-1] == '/':
		return "/{name}/"
	}
	return "/{name}"
}

// operationAttrs labels a request's metrics with its store call.
func operationAttrs(r *http.Request) []attribute.KeyValue {
	return []attribute.KeyValue{KeyOperation.String(operation(r))}
}

// operation names the store call r asks for, "" for none of the protocol.
func operation(r *http.Request) string {
	cmd := r.URL.Query().Get("cmd")
	dir := route(r) == "/{name}/"
	switch r.Method {
	case http.MethodGet:
		switch {
		case cmd == restproto.CmdQuota:
			return "quota"
		case dir:
			return "list"
		case r.URL.EscapedPath() == "/":
			return "open"
		}
		return "load"
	case http.MethodHead:
		if route(r) == "/" {
			return "open"
		}
		return "info"
	case http.MethodPost:
		switch cmd {
		case "":
			return "store"
		case restproto.CmdCreate, restproto.CmdMkdir, restproto.CmdMove, restproto.CmdHash,
			restproto.CmdDefrag:
			return cmd
		}
	case http.MethodDelete:
		switch cmd {
		case "":
			return "delete"
		case restproto.CmdDestroy, restproto.CmdRmdir:
			return cmd
		}
	}
	return "other"
}

// logged wraps next with the access log.
func (o *observer) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		var in *counter
		if r.Body != nil && r.Body != http.NoBody {
			body := r.Body
			in = &counter{ReadCloser: body}
			r.Body = in
			// The server checks the type of the body it made after the
			// handler returns.
			defer func() { r.Body = body }()
		}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("name", r.URL.EscapedPath()),
			slog.Int("status", status),
			slog.Int64("bytes_in", in.total()),
			slog.Int64("bytes_out", rec.bytes),
			slog.Duration("duration", time.Since(start)),
		}
		if sc := trace.SpanContextFromContext(r.Context()); sc.HasTraceID() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		o.access.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// recorder is a ResponseWriter that notes the status and the bytes
// written; Unwrap lets http.ResponseController reach the connection.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rw *recorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap returns the ResponseWriter below, for http.ResponseController.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// counter counts the bytes read from a request body.
type counter struct {
	io.ReadCloser
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *counter) total() int64 {
	if c == nil {
		return 0
	}
	return c.n
}
