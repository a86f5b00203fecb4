package tail

import "testing"

func TestWriter(t *testing.T) {
	w := &Writer{Max: 5}
	for _, s := range []string{"ab", "cdef", "g\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := w.String(); got != "defg" {
		t.Errorf("String() = %q, want the last 5 bytes trimmed, %q", got, "defg")
	}
	if got := (&Writer{}).String(); got != "" {
		t.Errorf("zero Writer keeps %q", got)
	}
}
