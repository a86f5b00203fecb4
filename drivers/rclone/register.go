package rclone

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the scheme rclone for compose.Open; OpenConfig.Logger is
// WithLogger. rclone offers no durable write, so it refuses
// OpenConfig.Sync.
func init() {
	backendkit.RegisterScheme("rclone", func(u string, c backendkit.OpenConfig) (kv.Backend, error) {
		if c.Sync {
			return nil, backendkit.NoSync(u, "rclone offers no way to make a write durable")
		}
		var opts []Option
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
