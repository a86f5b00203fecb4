package sftp_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/logcapture"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/retry"
)

// TestLogger checks the driver's own events: a connection, a reconnection
// after a cut, and a refused host key.
func TestLogger(t *testing.T) {
	logger, h := logcapture.Logger(slog.LevelDebug)
	dd, p := viaProxy(t, sftp.WithLogger(logger))
	d := kvtest.OpenStore(t, retry.New(dd, retry.Config{}))
	ctx := t.Context()
	if err := d.Store(ctx, "ns/a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := d.Load(ctx, "ns/a"); err != nil {
		t.Fatal(err)
	}
	var levels []slog.Level
	for _, r := range h.Take() {
		levels = append(levels, r.Level)
		if logcapture.Attrs(r)["server"] == "" {
			t.Errorf("record %q without the server", r.Message)
		}
	}
	// Create connects (Debug) and closes; Open connects (Debug), the cut
	// makes the load connect again (Info).
	if want := []slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo}; !slices.Equal(levels, want) {
		t.Errorf("levels %v, want %v", levels, want)
	}

	s := needServer(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d2, err := sftp.FromURL(storeURL(t), sftp.WithSSHConfig(s.SSHConfig), sftp.WithKnownHosts(empty),
		sftp.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Open(ctx); err == nil {
		t.Fatal("open with an unknown host key succeeded")
	}
	r := h.Take()
	if len(r) != 1 || r[0].Level != slog.LevelError || !strings.Contains(logcapture.Attrs(r[0])["error"], "unknown host") {
		t.Errorf("records %v, want one Error saying unknown host", r)
	}
}
