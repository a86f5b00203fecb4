package memory

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the scheme mem for compose.Open. A mem:// store lives in
// process memory, so it refuses OpenConfig.Sync.
func init() {
	backendkit.RegisterScheme("mem", func(u string, c backendkit.OpenConfig) (kv.Backend, error) {
		if c.Sync {
			return nil, backendkit.NoSync(u, "a mem:// store lives in process memory and ends with the process")
		}
		d, err := FromURL(u)
		if err != nil {
			return nil, err
		}
		return d, nil
	})
}
