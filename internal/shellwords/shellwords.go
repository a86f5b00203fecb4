// Package shellwords splits a command line into words as a POSIX shell
// does, without expansions (for SSH_ORIGINAL_COMMAND and ssh command lines).
package shellwords

import (
	"errors"
	"strings"
)

// Split splits s into words: blanks (space, tab, newline) separate words,
// single quotes keep everything up to the next single quote, double quotes
// keep everything but a backslash before " or \, and a backslash outside
// quotes keeps the next character. Nothing is expanded.
func Split(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		open  bool // a word has begun (it may be empty: '')
	)
	end := func() {
		if open {
			words = append(words, cur.String())
			cur.Reset()
			open = false
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n':
			end()
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("shellwords: a backslash at the end")
			}
			i++
			cur.WriteByte(s[i])
			open = true
		case '\'':
			close := strings.IndexByte(s[i+1:], '\'')
			if close < 0 {
				return nil, errors.New("shellwords: a single quote without its end")
			}
			cur.WriteString(s[i+1 : i+1+close])
			i += close + 1
			open = true
		case '"':
			open = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errors.New("shellwords: a double quote without its end")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
		default:
			cur.WriteByte(c)
			open = true
		}
	}
	end()
	return words, nil
}
