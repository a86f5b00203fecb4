package throttle

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// link is one direction (or both) of the emulated link: a token bucket with
// bytes as tokens, shared by every goroutine of the layer.
type link struct {
	lim         *rate.Limiter
	bytesPerSec float64
	chunk       int // the burst: the most tokens one reservation may take
}

// newLink returns a link of bitsPerSec, or nil (unlimited) for 0 or less.
func newLink(bitsPerSec float64) *link {
	if !(bitsPerSec > 0) || math.IsInf(bitsPerSec, 1) {
		return nil
	}
	bps := bitsPerSec / 8
	// The burst is 10 ms worth of bytes, at least 64 KiB so that big values
	// need few reservations. ReserveN refuses n > burst, so transfers are
	// reserved in chunks of the burst.
	chunk := int(min(max(bps/100, 64<<10), 1<<30))
	lim := rate.NewLimiter(rate.Limit(bps), chunk)
	lim.AllowN(time.Now(), chunk) // start empty: no free burst at start
	return &link{lim: lim, bytesPerSec: bps, chunk: chunk}
}

// transfer returns how long n bytes take on an idle link.
func (k *link) transfer(n int) time.Duration {
	return time.Duration(float64(n) / k.bytesPerSec * float64(time.Second))
}

// reserve queues n bytes on the link at now and returns when the link has
// carried them, and the reservations to cancel if the caller gives up.
func (k *link) reserve(now time.Time, n int) (time.Time, []*rate.Reservation) {
	rs := make([]*rate.Reservation, 0, (n+k.chunk-1)/k.chunk)
	for n > 0 {
		c := min(n, k.chunk)
		rs = append(rs, k.lim.ReserveN(now, c)) // c <= burst: always OK
		n -= c
	}
	return now.Add(rs[len(rs)-1].DelayFrom(now)), rs
}
