package rclone

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// discard is the logger of a driver without WithLogger.
var discard = slog.New(slog.DiscardHandler)

// maxLine is the longest line of rcd's output logged as one record; a
// longer one is cut into records of this size.
const maxLine = 4096

// lineLog is an io.Writer that logs each line rcd writes, at the level
// rclone gave it.
type lineLog struct {
	mu  sync.Mutex
	log *slog.Logger
	buf []byte
}

func (w *lineLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 && len(w.buf) < maxLine {
			return len(p), nil
		}
		if i < 0 || i > maxLine {
			i = maxLine
		}
		w.line(string(w.buf[:i]))
		w.buf = append(w.buf[:0], bytes.TrimPrefix(w.buf[i:], []byte("\n"))...)
	}
}

// line logs one line of rcd's output.
func (w *lineLog) line(s string) {
	level, msg := parseLine(s)
	if msg != "" {
		w.log.Log(context.Background(), level, "rclone: "+msg)
	}
}

// rcloneLevels maps rclone's log levels to slog's.
var rcloneLevels = map[string]slog.Level{
	"EMERGENCY": slog.LevelError, "ALERT": slog.LevelError, "CRITICAL": slog.LevelError,
	"ERROR": slog.LevelError, "WARNING": slog.LevelWarn, "NOTICE": slog.LevelInfo,
	"INFO": slog.LevelInfo, "DEBUG": slog.LevelDebug,
}

// parseLine splits a line of rclone's log, "2026/11/25 15:04:05 NOTICE:
// message" (the date and time optional), into the level and the message.
// A line without a level is logged at Info as it is.
func parseLine(s string) (slog.Level, string) {
	s = strings.TrimSpace(s)
	rest := s
	for range 2 { // the date and the time
		f, r, ok := strings.Cut(rest, " ")
		if !ok || strings.Trim(f, "0123456789/:.") != "" {
			break
		}
		rest = strings.TrimLeft(r, " ")
	}
	word, msg, ok := strings.Cut(rest, ":")
	if l, known := rcloneLevels[strings.TrimSpace(word)]; ok && known {
		return l, strings.TrimSpace(msg)
	}
	return slog.LevelInfo, s
}
