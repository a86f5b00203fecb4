package posixfs

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the scheme file for compose.Open; OpenConfig.Sync is
// WithFsync.
func init() {
	backendkit.RegisterScheme("file", func(u string, c backendkit.OpenConfig) (kv.Backend, error) {
		d, err := FromURL(u, WithFsync(c.Sync))
		if err != nil {
			return nil, err
		}
		return d, nil
	})
}
