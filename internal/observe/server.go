package observe

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/kvcompose/compose/kv"
)

// SchemaURL is the OpenTelemetry schema of the semantic conventions the
// layers follow.
const SchemaURL = semconv.SchemaURL

// ServerAttributes returns server.address and server.port for a remote
// driver that names its server (the port only when known), and nothing
// for a local one.
func ServerAttributes(p kv.Properties) []attribute.KeyValue {
	if !p.Remote || p.Address == "" {
		return nil
	}
	a := []attribute.KeyValue{semconv.ServerAddress(p.Address)}
	if p.Port > 0 {
		a = append(a, semconv.ServerPort(p.Port))
	}
	return a
}
