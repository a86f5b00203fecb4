package compose_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestOpenSync checks that WithSync and the URL query sync=true reach the
// drivers that can make their calls durable, and that the others refuse
// it instead of ignoring it.
func TestOpenSync(t *testing.T) {
	dir := t.TempDir()
	file := "file://" + filepath.ToSlash(dir) + "/store"
	for _, tc := range []struct {
		url  string
		opt  bool // WithSync(true)
		sync bool // the driver syncs
		err  error
	}{
		{url: file},
		{url: file + "?sync=true", sync: true},
		{url: file + "?sync=false"},
		{url: file, opt: true, sync: true},
		{url: file + "?sync=false", opt: true, sync: true},
		{url: file + "?fsync=true", err: kv.ErrInvalidURL},
		{url: file + "?sync=true&x=1", err: kv.ErrInvalidURL},
		{url: "sftp://host/store", opt: true, sync: true},
		{url: "sftp://host/store?sync=true", sync: true},
		{url: "sftp://host/store?level=2", err: kv.ErrInvalidURL},
		{url: "s3:/bucket/store", opt: true},
		{url: "mem://x", opt: true, err: kv.ErrUnsupported},
		{url: "rclone::local:/tmp/x", opt: true, err: kv.ErrUnsupported},
		{url: "http://127.0.0.1:1/", opt: true, err: kv.ErrUnsupported},
		{url: "rest:///tmp/x", opt: true, err: kv.ErrUnsupported},
	} {
		t.Run(fmt.Sprintf("%s,WithSync=%v", tc.url, tc.opt), func(t *testing.T) {
			var opts []compose.Option
			if tc.opt {
				opts = append(opts, compose.WithSync(true))
			}
			b, err := compose.Open(tc.url, opts...)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			switch {
			case strings.HasPrefix(tc.url, "file:"):
				d, ok := kv.As[*posixfs.Driver](b)
				require.True(t, ok)
				require.Equal(t, tc.sync, d.Fsync())
			case strings.HasPrefix(tc.url, "sftp:"):
				d, ok := kv.As[*sftp.Driver](b)
				require.True(t, ok)
				require.Equal(t, tc.sync, strings.HasSuffix(d.String(), "?sync=true"))
			}
		})
	}
	_, err := compose.Wrap(memory.New("x"), compose.WithSync(true))
	require.ErrorIs(t, err, kv.ErrUnsupported)
}

// TestSyncStore runs the conformance suite on the default stack over a
// file:// URL with sync=true.
func TestSyncStore(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		b, err := compose.Open("file://"+filepath.ToSlash(t.TempDir())+"/store?sync=true", compose.WithoutTracing())
		require.NoError(t, err)
		return b
	})
}
