package backoff

import (
	"testing"
	"time"
)

func TestJitterRange(t *testing.T) {
	for _, j := range []float64{0, 0.25, 0.5, 1, 3} {
		p := Policy{Initial: time.Second, Jitter: j}
		lo := time.Duration(float64(time.Second) * (1 - min(j, 1)))
		seen := map[bool]bool{}
		for range 1000 {
			d := p.jittered(1)
			if d < lo || d > time.Second {
				t.Fatalf("jitter %v: wait %v outside [%v, 1s]", j, d, lo)
			}
			seen[d == time.Second] = true
		}
		if j > 0 && !seen[false] {
			t.Errorf("jitter %v: every wait was exact", j)
		}
	}
}
