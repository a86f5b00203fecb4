package rest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// TestNotAStoreThroughServer: the server's backend refuses to open or
// destroy a directory that no store made, and the client gets
// kv.ErrNotAStore with the entry named; nothing is removed.
func TestNotAStoreThroughServer(t *testing.T) {
	srv := startServer(t, false)
	c := srv.client(t)
	if err := c.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(srv.store, backendkit.StoreRecord)); err != nil {
		t.Fatal(err)
	}
	bashrc := filepath.Join(srv.store, ".bashrc")
	if err := os.WriteFile(bashrc, []byte("alias ls='ls -F'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for op, err := range map[string]error{"open": c.Open(t.Context()), "destroy": c.Destroy(t.Context())} {
		if !errors.Is(err, kv.ErrNotAStore) || !strings.Contains(err.Error(), ".bashrc") {
			t.Errorf("%s: %v, want %v naming .bashrc", op, err, kv.ErrNotAStore)
		}
	}
	if _, err := os.Stat(bashrc); err != nil {
		t.Errorf(".bashrc after destroy: %v", err)
	}
}
