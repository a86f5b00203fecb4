package compose

import (
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/logging"
	"github.com/kvcompose/compose/layers/metrics"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/quota"
	"github.com/kvcompose/compose/layers/retry"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/throttle"
	"github.com/kvcompose/compose/layers/tracing"
)

// Option configures the stack that Open and Wrap build.
type Option func(*config)

// Position says where WithLayer puts a caller's own layer: directly above
// the named built-in layer, or at the top. In the stack's order, outermost
// first:
//
//	Top              above tracing: the outermost layer, the caller's view
//	  tracing, metrics, logging
//	AboveStats       between logging and stats
//	  stats
//	AboveSoftDelete  between stats and softdelete
//	  softdelete
//	AboveNesting     between softdelete and nesting: sees the caller's names
//	  nesting, permissions, quota, cache, retry
//	AboveThrottle    between retry and throttle: sees the store's names
//	  throttle
//	AboveDriver      directly above the driver: every call the store gets
//	  driver
//
// A position whose built-in layer is left out keeps its place in the order.
type Position int

// The positions of WithLayer, outermost first (see Position).
const (
	Top             Position = 0 // above tracing: the outermost layer
	AboveStats      Position = 1 // between logging and stats
	AboveSoftDelete Position = 2 // between stats and softdelete
	AboveNesting    Position = 3 // between softdelete and nesting
	AboveThrottle   Position = 4 // between retry and throttle
	AboveDriver     Position = 5 // directly above the driver
	numPositions    Position = 6
)

type config struct {
	levels      map[string][]int
	levelChange bool
	noNesting   bool
	nestingOpts []nesting.Option

	noSoftDelete, noStats, noTracing bool

	throttle    *throttle.Config
	noThrottle  bool
	statsOut    **stats.Layer
	tracingOpts []tracing.Option

	logger        *slog.Logger
	meterProvider metric.MeterProvider
	perms         map[string]string
	quota         *int64
	cacheURL      string
	cachePolicy   map[string]cache.Policy
	cacheOpts     []cache.Option
	retry         *retry.Config
	noRetry       bool
	sync          bool

	layers [numPositions][]func(kv.Backend) kv.Backend
	errs   []error // options that contradict each other or are invalid
}

// newConfig applies opts and reports the first invalid option or
// contradiction.
func newConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	if c.statsOut != nil && c.noStats {
		c.errs = append(c.errs, errors.New("WithStats asks for the stats layer that WithoutStats leaves out"))
	}
	if c.throttle != nil && c.noThrottle {
		c.errs = append(c.errs, errors.New("WithThrottle and WithoutThrottle contradict each other"))
	}
	if c.noNesting && (c.levels != nil || c.levelChange) {
		c.errs = append(c.errs, errors.New("WithoutNesting leaves out the nesting layer that WithLevels or WithLevelChange configure"))
	}
	if c.retry != nil && c.noRetry {
		c.errs = append(c.errs, errors.New("WithRetry and WithoutRetry contradict each other"))
	}
	if c.perms != nil {
		if err := permissions.Validate(c.perms); err != nil {
			c.errs = append(c.errs, err)
		}
	}
	if c.cacheURL != "" {
		if err := cache.ValidatePolicy(c.cachePolicy); err != nil {
			c.errs = append(c.errs, err)
		}
	}
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("compose: %w", errors.Join(c.errs...))
	}
	return c, nil
}

// WithLevels configures the nesting layer: per namespace (a prefix ending in
// "/"), the list of nesting levels, for example
// {"config/": {0}, "data/": {2}}. Create records them in the store; Open
// checks them against the record (or, for a store without one, against
// the levels its items are at) and fails on a contradiction unless
// WithLevelChange is given. Without WithLevels the nesting layer takes the
// levels from the store (see nesting.New); a nil or empty map is an error.
func WithLevels(levels map[string][]int) Option {
	return func(c *config) {
		if len(levels) == 0 {
			c.errs = append(c.errs, errors.New("WithLevels: no namespace"))
			return
		}
		c.levels = levels
	}
}

// WithLevelChange lets Open record levels given WithLevels that differ
// from the levels the store records: a level change (see
// nesting.WithLevelChange; every recorded level must stay in the list).
func WithLevelChange() Option { return func(c *config) { c.levelChange = true } }

// WithoutNesting leaves the nesting layer out: every name reaches the
// driver as it is, as a server of borgstore's REST protocol needs (its
// clients nest names themselves). It contradicts WithLevels.
func WithoutNesting() Option { return func(c *config) { c.noNesting = true } }

// WithNestingOptions passes options (concurrency, progress callback) to the
// nesting layer.
func WithNestingOptions(opts ...nesting.Option) Option {
	return func(c *config) { c.nestingOpts = append(c.nestingOpts, opts...) }
}

// WithoutSoftDelete leaves the softdelete layer out; kv.SoftDelete,
// kv.Undelete and kv.Deleted then fail with kv.ErrUnsupported.
func WithoutSoftDelete() Option { return func(c *config) { c.noSoftDelete = true } }

// WithoutStats leaves the stats layer out. It contradicts WithStats.
func WithoutStats() Option { return func(c *config) { c.noStats = true } }

// WithoutTracing leaves the tracing layer out.
func WithoutTracing() Option { return func(c *config) { c.noTracing = true } }

// WithStats stores the stack's stats layer in *dst when the stack is built,
// so the caller can read its Snapshot. kv.As does the same after the fact.
// A nil dst is an error, and so is WithoutStats.
func WithStats(dst **stats.Layer) Option {
	return func(c *config) {
		if dst == nil {
			c.errs = append(c.errs, errors.New("WithStats(nil)"))
			return
		}
		c.statsOut = dst
	}
}

// WithThrottle adds a throttle layer with cfg right above the driver. It
// takes precedence over BORGSTORE_LATENCY and BORGSTORE_BANDWIDTH; it
// contradicts WithoutThrottle.
func WithThrottle(cfg throttle.Config) Option {
	return func(c *config) { c.throttle = &cfg }
}

// WithoutThrottle leaves the throttle layer out, whatever the environment
// says.
func WithoutThrottle() Option { return func(c *config) { c.noThrottle = true } }

// WithTracerProvider makes the tracing layer take its spans from tp instead
// of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracingOpts = append(c.tracingOpts, tracing.WithTracerProvider(tp)) }
}

// WithMeterProvider adds the metrics layer (layers/metrics) below tracing,
// taking its instruments from mp (nil: the global provider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp == nil {
			mp = globalMeterProvider{}
		}
		c.meterProvider = mp
	}
}

// WithLogger adds the logging layer (layers/logging) below metrics: one
// record per call at Debug, failures at Warn. The sftp and rclone drivers
// report their own events (reconnects, host keys, rclone's messages) to the
// same logger. A nil logger is an error.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) {
		if logger == nil {
			c.errs = append(c.errs, errors.New("WithLogger(nil)"))
			return
		}
		c.logger = logger
	}
}

// WithPermissions adds the permissions layer (layers/permissions) below
// nesting, where it judges the names the store really holds, as borgstore
// does: perms maps directories to letters (see permissions.New and
// permissions.Parse for the Borg 2 shortcuts). An invalid map is an error.
func WithPermissions(perms map[string]string) Option {
	return func(c *config) {
		if perms == nil {
			c.errs = append(c.errs, errors.New("WithPermissions(nil): use permissions.Shortcut(\"all\") to allow everything"))
			return
		}
		c.perms = perms
	}
}

// WithQuota adds the quota layer (layers/quota) below permissions, with a
// limit of limit bytes of values (negative: count the usage, limit
// nothing).
func WithQuota(limit int64) Option { return func(c *config) { c.quota = &limit } }

// WithCache adds the cache layer (layers/cache) below quota and above retry
// and throttle, so that a hit never pays the slow link: cacheURL names a
// second store (usually file:///var/cache/...) that keeps copies of the
// namespaces that policy names. An invalid policy, or a cacheURL that no
// driver opens, is an error.
func WithCache(cacheURL string, policy map[string]cache.Policy, opts ...cache.Option) Option {
	return func(c *config) {
		if cacheURL == "" {
			c.errs = append(c.errs, errors.New("WithCache: no cache URL"))
			return
		}
		c.cacheURL, c.cachePolicy, c.cacheOpts = cacheURL, policy, opts
	}
}

// WithRetry adds the retry layer (layers/retry) right above throttle with
// cfg (zero fields: the defaults). Without it, Open and Wrap add the retry
// layer with the defaults over drivers whose calls cross a network
// (kv.Properties.Remote: sftp, rclone, s3, rest), unless WithoutRetry says
// otherwise.
func WithRetry(cfg retry.Config) Option { return func(c *config) { c.retry = &cfg } }

// WithoutRetry leaves the retry layer out, also over a remote driver.
func WithoutRetry() Option { return func(c *config) { c.noRetry = true } }

// WithSync(true) makes every Store, Move and Delete of the store durable
// when it returns, at a price per call: file and directory fsync over
// file:// (posixfs.WithFsync), fsync@openssh.com over sftp://
// (sftp.WithSync). s3: and b2: take it as they are (an acknowledged PUT is
// durable). mem://, rclone:, REST URLs and schemes added with Register
// cannot honour it: Open returns an error wrapping kv.ErrUnsupported. The
// URL query sync=true of file:// and sftp:// URLs does the same for one
// URL. The cache store of WithCache is not synced.
func WithSync(on bool) Option { return func(c *config) { c.sync = on } }

// WithLayer inserts the caller's own layer at pos: wrap receives the
// backend below pos and returns the layer over it, for example
//
//	compose.WithLayer(compose.AboveNesting, func(next kv.Backend) kv.Backend {
//		return mylayer.New(next)
//	})
//
// A layer outside this module is short to write with backendkit.Forward.
// Several layers at one position stack in the order given, the first one
// outermost. An unknown position or a nil wrap is an error of Open.
func WithLayer(pos Position, wrap func(next kv.Backend) kv.Backend) Option {
	return func(c *config) {
		switch {
		case pos < 0 || pos >= numPositions:
			c.errs = append(c.errs, fmt.Errorf("WithLayer: unknown position %d", pos))
		case wrap == nil:
			c.errs = append(c.errs, errors.New("WithLayer: nil layer function"))
		default:
			c.layers[pos] = append(c.layers[pos], wrap)
		}
	}
}

// Wrap builds the stack of opts over drv, innermost first: drv, the
// caller's AboveDriver layers, throttle (from WithThrottle, else from the
// environment), the caller's AboveThrottle layers, retry, cache, quota,
// permissions, nesting (unless WithoutNesting), softdelete, stats, logging,
// metrics, tracing. It does no I/O. Options that contradict each other,
// an invalid configuration or throttle environment is an error, and so is
// WithSync(true): drv syncs as it was configured (posixfs.WithFsync,
// sftp.WithSync).
func Wrap(drv kv.Backend, opts ...Option) (kv.Backend, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.sync {
		return nil, fmt.Errorf("compose: Wrap: WithSync(true) cannot reach a driver configured already; %w (use posixfs.WithFsync or sftp.WithSync)", kv.ErrUnsupported)
	}
	return c.wrap(drv)
}

func (c *config) wrap(drv kv.Backend) (kv.Backend, error) {
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
	switch {
	case c.retry != nil:
		b = retry.New(b, *c.retry)
	case !c.noRetry && kv.PropertiesOf(drv).Remote:
		b = retry.New(b, retry.Config{})
	}
	if c.cacheURL != "" {
		// The cache store has no layers: the throttle emulates the link
		// to the primary, not the local disk.
		store, err := (&config{}).driver(c.cacheURL)
		if err != nil {
			return nil, fmt.Errorf("compose: cache: %w", err)
		}
		opts := c.cacheOpts
		if c.logger != nil {
			opts = append(opts[:len(opts):len(opts)], cache.WithLogger(c.logger))
		}
		b = cache.New(b, store, c.cachePolicy, opts...)
	}
	if c.quota != nil {
		b = quota.New(b, *c.quota)
	}
	if c.perms != nil {
		b = permissions.New(b, c.perms)
	}
	if !c.noNesting {
		opts := c.nestingOpts
		if c.levelChange {
			opts = append(opts[:len(opts):len(opts)], nesting.WithLevelChange())
		}
		n, err := nesting.New(b, c.levels, opts...)
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
	if c.logger != nil {
		b = logging.New(b, c.logger)
	}
	if c.meterProvider != nil {
		var mopts []metrics.Option
		if _, global := c.meterProvider.(globalMeterProvider); !global {
			mopts = append(mopts, metrics.WithMeterProvider(c.meterProvider))
		}
		b = metrics.New(b, mopts...)
	}
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

// globalMeterProvider stands for "the global provider" in WithMeterProvider(nil).
type globalMeterProvider struct{ metric.MeterProvider }
