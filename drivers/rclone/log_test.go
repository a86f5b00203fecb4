package rclone

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kvcompose/compose/internal/logcapture"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line  string
		level slog.Level
		msg   string
	}{
		{"2026/11/25 15:04:05 NOTICE: Serving remote control on http://127.0.0.1:5572/", slog.LevelInfo,
			"Serving remote control on http://127.0.0.1:5572/"},
		{"2026/11/25 15:04:05 ERROR : data/01: Failed to copy: permission denied", slog.LevelError,
			"data/01: Failed to copy: permission denied"},
		{"2026/11/25 15:04:05.123456 DEBUG : rclone: Version \"v1.60.1\"", slog.LevelDebug, "rclone: Version \"v1.60.1\""},
		{"INFO  : no date", slog.LevelInfo, "no date"},
		{"panic: runtime error", slog.LevelInfo, "panic: runtime error"},
		{"  ", slog.LevelInfo, ""},
	} {
		level, msg := parseLine(tc.line)
		if level != tc.level || msg != tc.msg {
			t.Errorf("parseLine(%q) = %v %q, want %v %q", tc.line, level, msg, tc.level, tc.msg)
		}
	}
}

func TestLineLog(t *testing.T) {
	logger, h := logcapture.Logger(slog.LevelDebug)
	w := &lineLog{log: logger}
	w.Write([]byte("2026/11/25 15:04:05 NOTICE: one\n2026/11/25 15:04:05 ERR"))
	w.Write([]byte("OR : two\npartial"))
	w.Write([]byte(strings.Repeat("x", maxLine+10)))
	var got []string
	for _, r := range h.Take() {
		got = append(got, r.Level.String()+" "+r.Message[:min(len(r.Message), 20)])
	}
	want := []string{"INFO rclone: one", "ERROR rclone: two", "INFO rclone: partialxxxxx"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
}

// TestLogger checks that an rcd's start and its output reach the logger.
func TestLogger(t *testing.T) {
	logger, h := logcapture.Logger(slog.LevelDebug)
	openLocal(t, WithLogger(logger), WithArgs("-v"))
	var started, output bool
	for _, r := range h.Take() {
		started = started || r.Message == "rclone: rcd started" && logcapture.Attrs(r)["version"] != ""
		output = output || strings.HasPrefix(r.Message, "rclone: Serving remote control")
	}
	if !started || !output {
		t.Errorf("rcd started logged: %v, its output logged: %v", started, output)
	}
}
