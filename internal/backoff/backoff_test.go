package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
)

func TestDelay(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		p    backoff.Policy
		want []time.Duration // after failed tries 1, 2, ...
	}{
		{"zero", backoff.Policy{}, []time.Duration{0, 0, 0}},
		{"doubling", backoff.Policy{Initial: 10 * ms}, []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms}},
		{"capped", backoff.Policy{Initial: 10 * ms, Max: 25 * ms}, []time.Duration{10 * ms, 20 * ms, 25 * ms, 25 * ms}},
		{"times four", backoff.Policy{Initial: 20 * ms, Multiplier: 4}, []time.Duration{20 * ms, 80 * ms, 320 * ms}},
		{"constant", backoff.Policy{Initial: 5 * ms, Multiplier: 0.5}, []time.Duration{5 * ms, 5 * ms, 5 * ms}},
		{"no overflow", backoff.Policy{Initial: time.Hour, Multiplier: 1e6}, []time.Duration{time.Hour, 1e6 * time.Hour, 1<<63 - 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, want := range tc.want {
				if got := tc.p.Delay(i + 1); got != want {
					t.Errorf("Delay(%d) = %v, want %v", i+1, got, want)
				}
			}
			if got := tc.p.Delay(0); got != 0 {
				t.Errorf("Delay(0) = %v, want 0", got)
			}
		})
	}
}

func TestWaitBounds(t *testing.T) {
	failing := errors.New("down")
	for _, tc := range []struct {
		name      string
		p         backoff.Policy
		wantTries int
	}{
		{"max tries", backoff.Policy{Initial: time.Microsecond, MaxTries: 4}, 4},
		{"one try", backoff.Policy{Initial: time.Microsecond, MaxTries: 1}, 1},
		// The first wait would end after MaxElapsed: it is not begun.
		{"max elapsed", backoff.Policy{Initial: time.Hour, MaxElapsed: time.Second}, 1},
		{"full jitter, capped", backoff.Policy{Initial: time.Microsecond, Max: 2 * time.Microsecond, Jitter: 1, MaxTries: 50}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			err := tc.p.Do(t.Context(), func(error) bool { return true }, func(try int) error {
				tries++
				if try != tries {
					t.Errorf("try %d numbered %d", tries, try)
				}
				return failing
			})
			if err != failing {
				t.Errorf("Do: %v, want the last error as it is", err)
			}
			if tries != tc.wantTries {
				t.Errorf("%d tries, want %d", tries, tc.wantTries)
			}
		})
	}
}

func TestDoStops(t *testing.T) {
	permanent := errors.New("permanent")
	tries := 0
	err := backoff.Policy{}.Do(t.Context(), func(err error) bool { return err != permanent }, func(try int) error {
		tries++
		if try < 3 {
			return errors.New("transient")
		}
		return permanent
	})
	if err != permanent || tries != 3 {
		t.Errorf("Do: %v after %d tries, want the permanent error after 3", err, tries)
	}
	if err := (backoff.Policy{}).Do(t.Context(), nil, func(int) error { return nil }); err != nil {
		t.Errorf("Do of a success: %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := backoff.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context: %v", err)
	}
	s := backoff.Policy{}.Start()
	if err := s.Wait(ctx); !errors.Is(err, context.Canceled) || s.Tries() != 1 {
		t.Errorf("Wait on a cancelled context: %v, %d tries", err, s.Tries())
	}
	last := errors.New("down")
	tries := 0
	err := backoff.Policy{Initial: time.Hour}.Do(ctx, func(error) bool { return true }, func(int) error { tries++; return last })
	if !errors.Is(err, last) || !errors.Is(err, context.Canceled) || tries != 1 {
		t.Errorf("Do on a cancelled context: %v after %d tries, want both errors after 1", err, tries)
	}
	if err := backoff.Sleep(ctx, 0); err != nil {
		t.Errorf("Sleep(0): %v, want nil whatever the context", err)
	}
}

// A cancel during a long wait ends it.
func TestCancelDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	s := backoff.Policy{Initial: time.Hour}.Start()
	done := make(chan error)
	go func() { done <- s.Wait(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Wait cancelled: %v", err)
	}
}

func ExamplePolicy_Do() {
	p := backoff.Policy{Initial: time.Millisecond, Max: time.Second, Jitter: 0.5, MaxTries: 5}
	err := p.Do(context.Background(), func(error) bool { return true }, func(try int) error {
		fmt.Println("try", try)
		if try < 3 {
			return errors.New("connection reset")
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// try 1
	// try 2
	// try 3
	// <nil>
}
