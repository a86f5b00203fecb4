package retry

import (
	"time"

	"github.com/kvcompose/compose/internal/backoff"
)

// The defaults of Config: up to 5 tries, waits of 100 ms, 200 ms, 400 ms,
// 800 ms less up to half at random, all within a minute.
const (
	DefaultMaxTries       = 5
	DefaultMaxElapsed     = time.Minute
	DefaultInitialBackoff = 100 * time.Millisecond
	DefaultMaxBackoff     = 5 * time.Second
	DefaultJitter         = 0.5
)

// Config bounds the retries of one call. A zero field takes its default.
type Config struct {
	// MaxTries is the most tries of one call, the first one included
	// (default DefaultMaxTries). 1 turns retrying off.
	MaxTries int
	// MaxElapsed bounds the time from the start of the first try to the
	// start of the last (default DefaultMaxElapsed); a try that cannot
	// start in time is not made. Negative: no bound but MaxTries.
	MaxElapsed time.Duration
	// InitialBackoff is the wait after the first failed try (default
	// DefaultInitialBackoff); each further wait doubles, up to MaxBackoff.
	InitialBackoff time.Duration
	// MaxBackoff caps each wait (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// Jitter, from 0 to 1, is the random part of each wait: it is drawn
	// uniformly from [w·(1-Jitter), w] (default DefaultJitter). Negative:
	// no jitter.
	Jitter float64
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.MaxTries <= 0 {
		c.MaxTries = DefaultMaxTries
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = DefaultMaxElapsed
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	}
	return c
}

// policy returns the backoff schedule of c (with its defaults set).
func (c Config) policy() backoff.Policy {
	return backoff.Policy{
		Initial:    c.InitialBackoff,
		Max:        c.MaxBackoff,
		Jitter:     max(min(c.Jitter, 1), 0),
		MaxTries:   c.MaxTries,
		MaxElapsed: max(c.MaxElapsed, 0),
	}
}
