package compose

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/throttle"
	"github.com/kvcompose/compose/layers/tracing"
)

// Option configures the stack that Open and Wrap build.
type Option func(*config)

// Position says where a caller's own layer goes in the stack (WithLayer):
// directly above the named built-in layer, or at the top.
type Position int

// The positions of WithLayer, outermost first. A position whose layer is
// left out of the stack still keeps its place in the order.
const (
	Top             Position = iota // above tracing: the outermost layer
	AboveStats                      // between tracing and stats
	AboveSoftDelete                 // between stats and softdelete
	AboveNesting                    // between softdelete and nesting
	AboveThrottle                   // between nesting and throttle
	AboveDriver                     // directly above the driver
	numPositions
)

type config struct {
	levels      map[string][]int
	nestingOpts []nesting.Option

	noSoftDelete, noStats, noTracing bool

	throttle    *throttle.Config
	noThrottle  bool
	statsOut    **stats.Layer
	tracingOpts []tracing.Option

	layers [numPositions][]func(kv.Backend) kv.Backend
}

// WithLevels configures the nesting layer: per namespace (a prefix ending in
// "/"), the list of nesting levels, for example
// {"config/": {0}, "data/": {2}}. Without it there is no nesting layer.
func WithLevels(levels map[string][]int) Option {
	return func(c *config) { c.levels = levels }
}

// WithNestingOptions passes options (pre-creation concurrency, progress
// callback) to the nesting layer.
func WithNestingOptions(opts ...nesting.Option) Option {
	return func(c *config) { c.nestingOpts = append(c.nestingOpts, opts...) }
}

// WithoutSoftDelete leaves the softdelete layer out; kv.SoftDelete,
// kv.Undelete and kv.Deleted then fail with kv.ErrUnsupported.
func WithoutSoftDelete() Option { return func(c *config) { c.noSoftDelete = true } }

// WithoutStats leaves the stats layer out.
func WithoutStats() Option { return func(c *config) { c.noStats = true } }

// WithoutTracing leaves the tracing layer out.
func WithoutTracing() Option { return func(c *config) { c.noTracing = true } }

// WithStats stores the stack's stats layer in *dst when the stack is built,
// so the caller can read its Snapshot. kv.As does the same after the fact.
func WithStats(dst **stats.Layer) Option { return func(c *config) { c.statsOut = dst } }

// WithThrottle adds a throttle layer with cfg right above the driver. It
// takes precedence over BORGSTORE_LATENCY and BORGSTORE_BANDWIDTH.
func WithThrottle(cfg throttle.Config) Option {
	return func(c *config) { c.throttle = &cfg; c.noThrottle = false }
}

// WithoutThrottle leaves the throttle layer out, whatever the environment
// says.
func WithoutThrottle() Option { return func(c *config) { c.noThrottle = true; c.throttle = nil } }

// WithTracerProvider makes the tracing layer take its spans from tp instead
// of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracingOpts = append(c.tracingOpts, tracing.WithTracerProvider(tp)) }
}

// WithLayer inserts the caller's own layer at pos. Several layers at one
// position stack in the order given, the first one outermost.
func WithLayer(pos Position, wrap func(next kv.Backend) kv.Backend) Option {
	return func(c *config) {
		if pos >= 0 && pos < numPositions && wrap != nil {
			c.layers[pos] = append(c.layers[pos], wrap)
		}
	}
}

// Wrap builds the stack of opts over drv, innermost first: drv, the
// caller's AboveDriver layers, throttle (from WithThrottle, else from the
// environment), nesting (with WithLevels), softdelete, stats, tracing. It
// does no I/O. An invalid nesting configuration or throttle environment is
// an error.
func Wrap(drv kv.Backend, opts ...Option) (kv.Backend, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	b := c.wrapAt(AboveDriver, drv)
	tc := c.throttle
	if tc == nil && !c.noThrottle {
		env, ok, err := throttle.ConfigFromEnv()
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if ok {
			tc = &env
		}
	}
	if tc != nil && !c.noThrottle {
		b = throttle.New(b, *tc)
	}
	b = c.wrapAt(AboveThrottle, b)
	if c.levels != nil {
		n, err := nesting.New(b, c.levels, c.nestingOpts...)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		b = n
	}
	b = c.wrapAt(AboveNesting, b)
	if !c.noSoftDelete {
		b = softdelete.New(b)
	}
	b = c.wrapAt(AboveSoftDelete, b)
	if !c.noStats {
		s := stats.New(b)
		if c.statsOut != nil {
			*c.statsOut = s
		}
		b = s
	}
	b = c.wrapAt(AboveStats, b)
	if !c.noTracing {
		b = tracing.New(b, c.tracingOpts...)
	}
	return c.wrapAt(Top, b), nil
}

// wrapAt applies the caller's layers at pos, the first one given outermost.
func (c *config) wrapAt(pos Position, b kv.Backend) kv.Backend {
	ls := c.layers[pos]
	for i := len(ls) - 1; i >= 0; i-- {
		b = ls[i](b)
	}
	return b
}
