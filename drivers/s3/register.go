package s3

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the schemes s3 and b2 for compose.Open. They take
// OpenConfig.Sync as they are: an acknowledged PUT is durable there.
func init() {
	open := func(u string, _ backendkit.OpenConfig) (kv.Backend, error) {
		d, err := FromURL(u)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	backendkit.RegisterScheme("s3", open)
	backendkit.RegisterScheme("b2", open)
}
