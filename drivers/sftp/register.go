package sftp

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the scheme sftp for compose.Open; OpenConfig.Sync is
// WithSync, OpenConfig.Logger WithLogger.
func init() {
	backendkit.RegisterScheme("sftp", func(u string, c backendkit.OpenConfig) (kv.Backend, error) {
		opts := []Option{WithSync(c.Sync)}
		if c.Logger != nil {
			opts = append(opts, WithLogger(c.Logger))
		}
		d, err := FromURL(u, opts...)
		if err != nil {
			return nil, err
		}
		return d, nil
	})
}
