package nesting

import (
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func TestNest(t *testing.T) {
	tests := []struct {
		name   string
		level  int
		suffix string
		want   string // "" means ErrInvalidName
	}{
		{"data/12345678", 0, "", "data/12345678"},
		{"data/12345678", 1, "", "data/12/12345678"},
		{"data/12345678", 2, "", "data/12/34/12345678"},
		{"data/12345678", 3, ".del", "data/12/34/56/12345678.del"},
		{"data/12345678", 0, ".del", "data/12345678.del"},
		{"data/12345678", 4, "", "data/12/34/56/78/12345678"},
		{"12345678", 2, "", "12/34/12345678"},
		{"a/b/c/1234", 2, "", "a/b/c/12/34/1234"},
		{"data/1234", 2, "", "data/12/34/1234"},
		{"data/123", 2, "", ""},
		{"data/", 1, "", ""},
		{"data/1234", -1, "", ""},
	}
	for _, tt := range tests {
		got, err := Nest(tt.name, tt.level, tt.suffix)
		if tt.want == "" {
			if !errors.Is(err, kv.ErrInvalidName) {
				t.Errorf("Nest(%q, %d, %q) = %q, %v; want ErrInvalidName", tt.name, tt.level, tt.suffix, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Nest(%q, %d, %q) = %q, %v; want %q", tt.name, tt.level, tt.suffix, got, err, tt.want)
		}
	}
}

func TestUnnest(t *testing.T) {
	tests := []struct {
		name, namespace, suffix string
		want                    string // "" means ErrInvalidName
	}{
		{"data/12/34/12345678", "data/", "", "data/12345678"},
		{"data/12/34/56/12345678.del", "data/", ".del", "data/12345678"},
		{"data/12345678", "data/", "", "data/12345678"},
		{"12/12345678", "", "", "12345678"},
		{"data/12/34/12345678", "config/", "", ""},
		{"data/12/34/12345678", "data/", ".del", ""},
		{"data/12/35/12345678", "data/", "", ""},
		{"data/123/12345678", "data/", "", ""},
		{"data/12/34/56/123", "data/", "", ""},
	}
	for _, tt := range tests {
		got, err := Unnest(tt.name, tt.namespace, tt.suffix)
		if tt.want == "" {
			if !errors.Is(err, kv.ErrInvalidName) {
				t.Errorf("Unnest(%q, %q, %q) = %q, %v; want ErrInvalidName", tt.name, tt.namespace, tt.suffix, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Unnest(%q, %q, %q) = %q, %v; want %q", tt.name, tt.namespace, tt.suffix, got, err, tt.want)
		}
	}
}

func TestNestUnnestRoundTrip(t *testing.T) {
	for level := range MaxLevel + 1 {
		for _, suffix := range []string{"", kv.DeletedSuffix} {
			nested, err := Nest("data/0123456789abcdef", level, suffix)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := Unnest(nested, "data/", suffix); err != nil || got != "data/0123456789abcdef" {
				t.Errorf("Unnest(Nest(level %d, %q)) = %q, %v", level, suffix, got, err)
			}
		}
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		levels map[string][]int
		ok     bool
	}{
		{map[string][]int{"config/": {0}, "data/": {2}}, true},
		{map[string][]int{"": {0}}, true},
		{map[string][]int{"": {1}, "data/": {1, 2}, "data/ab/": {0}}, true},
		{map[string][]int{"a/b/": {3}}, true},
		{nil, true}, // the levels the store records
		{map[string][]int{}, false},
		{map[string][]int{"data": {2}}, false},
		{map[string][]int{"/data/": {2}}, false},
		{map[string][]int{"Data/": {2}}, false},
		{map[string][]int{"data/": {}}, false},
		{map[string][]int{"data/": {-1}}, false},
		{map[string][]int{"data/": {MaxLevel + 1}}, false},
		{map[string][]int{"data/": {1, 1}}, false},
	}
	for _, tt := range tests {
		_, err := New(nil, tt.levels)
		if (err == nil) != tt.ok {
			t.Errorf("New(%v) error = %v, want ok=%v", tt.levels, err, tt.ok)
		}
	}
	if _, err := New(nil, map[string][]int{"": {0}}, WithConcurrency(0)); err == nil {
		t.Error("New with concurrency 0 succeeded")
	}
}

func TestLongestPrefix(t *testing.T) {
	l, err := New(nil, map[string][]int{"": {1}, "data/": {2}, "data/ab/": {0}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{"12345678", "12/12345678"},
		{"data/12345678", "data/12/34/12345678"},
		{"data/ab/12345678", "data/ab/12345678"},
		{"data/ab/x/y", "data/ab/x/y"},
		{"data/12345678.del", "data/12/34/12345678.del"},
		{"datax/1234", ""},
		{"data/12/1234", ""},
	}
	for _, tt := range tests {
		it, err := l.resolve(kv.OpInfo, tt.name)
		if tt.want == "" {
			if !errors.Is(err, kv.ErrInvalidName) {
				t.Errorf("resolve(%q) error = %v, want ErrInvalidName", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("resolve(%q): %v", tt.name, err)
		} else if got := it.at(it.ns.last()); got != tt.want {
			t.Errorf("resolve(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
