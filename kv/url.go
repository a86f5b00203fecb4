package kv

import "fmt"

// InvalidURL returns the error of a driver's FromURL for rawURL: it wraps
// ErrInvalidURL, and the message, formatted as fmt.Sprintf does, says what
// is wrong.
func InvalidURL(rawURL, format string, args ...any) error {
	return NewError("parse url", rawURL, ErrInvalidURL, fmt.Errorf(format, args...))
}
