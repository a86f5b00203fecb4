// Package backoff is the one retry schedule of the module: exponential
// backoff with jitter, bounded in tries and in total time, and a sleep that
// ends when its context is done.
package backoff

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"
)

// ErrExhausted is returned by Series.Wait when the policy allows no more
// tries: MaxTries are made, or the next try would start after MaxElapsed.
var ErrExhausted = errors.New("no tries left")

// Sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx's error in the second case. A d of 0 or less returns nil at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Policy is an exponential backoff schedule. The wait after the n-th failed
// try (n from 1) is Initial·Multiplier^(n-1), at most Max, less a random
// part of up to Jitter of it. The zero Policy retries at once, forever.
type Policy struct {
	// Initial is the wait after the first failed try.
	Initial time.Duration
	// Max caps every wait; 0 means no cap.
	Max time.Duration
	// Multiplier is the growth of the wait from one try to the next; 0
	// means 2, and values below 1 count as 1 (a constant wait).
	Multiplier float64
	// Jitter, from 0 to 1, is the part of each wait that is random: the
	// wait is drawn uniformly from [w·(1-Jitter), w]. 0 gives the exact
	// schedule, 1 "full jitter". Concurrent callers that failed together
	// then do not retry together.
	Jitter float64
	// MaxTries bounds the tries, the first one included; 0 means no bound.
	MaxTries int
	// MaxElapsed bounds the time from Start to the start of the last try;
	// 0 means no bound. A wait that would end later is not begun.
	MaxElapsed time.Duration
}

// Delay returns the wait after the n-th failed try (n from 1), without
// jitter.
func (p Policy) Delay(n int) time.Duration {
	if n < 1 || p.Initial <= 0 {
		return 0
	}
	m := p.Multiplier
	if m == 0 {
		m = 2
	}
	m = max(m, 1)
	d := float64(p.Initial) * math.Pow(m, float64(n-1))
	if p.Max > 0 && d > float64(p.Max) {
		return p.Max
	}
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}

// jittered returns the wait after the n-th failed try with the jitter
// applied.
func (p Policy) jittered(n int) time.Duration {
	d := p.Delay(n)
	if j := min(p.Jitter, 1); j > 0 && d > 0 {
		d -= time.Duration(float64(d) * j * rand.Float64())
	}
	return d
}

// Series is one series of tries under a Policy: made by Start before the
// first try, it counts the tries and waits between them. A Series is not
// safe for concurrent use; each call that retries has its own.
type Series struct {
	p     Policy
	start time.Time
	tries int
}

// Start begins a series of tries now; the first try is counted as made.
func (p Policy) Start() *Series {
	return &Series{p: p, start: time.Now(), tries: 1}
}

// Tries returns the number of tries made or begun: 1 after Start, one more
// after each Wait that returned nil.
func (s *Series) Tries() int { return s.tries }

// Elapsed returns the time since Start.
func (s *Series) Elapsed() time.Duration { return time.Since(s.start) }

// Wait is called after a failed try. It returns nil, after the wait of the
// schedule, when the next try may be made; ErrExhausted, at once, when the
// policy allows no more; or ctx's error when ctx is done, before or during
// the wait.
func (s *Series) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.p.MaxTries > 0 && s.tries >= s.p.MaxTries {
		return ErrExhausted
	}
	d := s.p.jittered(s.tries)
	if s.p.MaxElapsed > 0 && time.Since(s.start)+d > s.p.MaxElapsed {
		return ErrExhausted
	}
	if err := Sleep(ctx, d); err != nil {
		return err
	}
	s.tries++
	return nil
}

// Do calls f, with the number of the try from 1, until it returns nil or an
// error that retryable rejects, or the policy allows no more tries; it
// returns f's last error. When ctx ends before the next try, Do returns f's
// last error joined with ctx's.
func (p Policy) Do(ctx context.Context, retryable func(error) bool, f func(try int) error) error {
	s := p.Start()
	for {
		err := f(s.Tries())
		if err == nil || !retryable(err) {
			return err
		}
		switch werr := s.Wait(ctx); {
		case errors.Is(werr, ErrExhausted):
			return err
		case werr != nil:
			return errors.Join(err, werr)
		}
	}
}
