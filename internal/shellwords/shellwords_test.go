package shellwords

import (
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"kvcompose serve --rest --backend FILE:/srv/a": {"kvcompose", "serve", "--rest", "--backend", "FILE:/srv/a"},
		`a  'b c' "d \" e" f\ g ''`:                    {"a", "b c", `d " e`, "f g", ""},
		"BORG_X=1 borg serve\t--backend='FILE:~/r'\n":  {"BORG_X=1", "borg", "serve", "--backend=FILE:~/r"},
		`"a\b"`:                   {`a\b`},
		"":                        nil,
		`a\ b "x\"y" 'it''s'`:     {"a b", `x"y`, "its"},
		`ssh -o "ProxyCommand=x"`: {"ssh", "-o", "ProxyCommand=x"},
		"\tkvcompose\nserve ":     {"kvcompose", "serve"},
		`"" x`:                    {"", "x"},
	} {
		got, err := Split(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`a\`, `'a`, `"a`, `"a\"`} {
		if _, err := Split(bad); err == nil {
			t.Errorf("Split(%q) accepted", bad)
		}
	}
}
