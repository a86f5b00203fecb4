// Package logcapture is a log/slog handler that keeps the records it is
// given, for tests that check what a layer or a driver logs.
package logcapture

import (
	"context"
	"log/slog"
	"sync"
)

// Handler keeps the records at Level and above. It is safe for concurrent
// use; WithAttrs and WithGroup record their attributes in the records'
// (groups are flattened: a record's attributes are looked up by key).
type Handler struct {
	Level slog.Level

	mu      *sync.Mutex
	records *[]slog.Record
	attrs   []slog.Attr
}

// New returns a Handler that keeps the records at level and above.
func New(level slog.Level) *Handler {
	return &Handler{Level: level, mu: new(sync.Mutex), records: new([]slog.Record)}
}

// Logger returns a logger that writes to a new Handler at level, and the
// handler.
func Logger(level slog.Level) (*slog.Logger, *Handler) {
	h := New(level)
	return slog.New(h), h
}

// Enabled reports whether level is at least the handler's Level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool { return level >= h.Level }

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup returns h: groups are flattened.
func (h *Handler) WithGroup(string) slog.Handler { return h }

// Handle keeps a copy of r with the handler's attributes.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.mu.Lock()
	*h.records = append(*h.records, r)
	h.mu.Unlock()
	return nil
}

// Take returns the records kept so far and forgets them.
func (h *Handler) Take() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := *h.records
	*h.records = nil
	return r
}

// Len returns the number of records kept so far.
func (h *Handler) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(*h.records)
}

// Attrs returns the attributes of r as a map of their values' strings.
func Attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}
