// Package observe holds what the layers that observe calls (stats,
// tracing, metrics, logging) share: the module's version for the
// instrumentation scope, the error classification (error.type, expected
// errors) and the observed iteration of a List.
package observe
