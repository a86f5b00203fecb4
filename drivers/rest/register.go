package rest

import (
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// init registers the schemes http, https and rest for compose.Open.
// borgstore's REST protocol cannot ask for a durable write, so they refuse
// OpenConfig.Sync.
func init() {
	for _, scheme := range []string{"http", "https", "rest"} {
		backendkit.RegisterScheme(scheme, opener)
	}
}

// opener is the Opener of the schemes of the package.
func opener(u string, c backendkit.OpenConfig) (kv.Backend, error) {
	if c.Sync {
		return nil, backendkit.NoSync(u, "borgstore's REST protocol has no way to ask the server for a durable write")
	}
	d, err := FromURL(u)
	if err != nil {
		return nil, err
	}
	return d, nil
}
