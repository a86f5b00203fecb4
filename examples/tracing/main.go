// Command tracing prints the OpenTelemetry spans of a few kvcompose calls
// with the stdout exporter.
//
//	go run ./examples/tracing
package main

import (
	"context"
	"log"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
)

func main() {
	ctx := context.Background()
	exp, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout), stdouttrace.WithPrettyPrint())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(ctx)

	store, err := compose.Open("mem://tracing",
		compose.WithLevels(map[string][]int{"data/": {1}}),
		compose.WithTracerProvider(tp))
	if err != nil {
		log.Fatal(err)
	}
	check(store.Create(ctx))
	check(store.Open(ctx))
	defer store.Close(ctx)

	check(store.Store(ctx, "data/0123abcd", []byte("hello, spans")))
	_, err = store.Load(ctx, "data/0123abcd", kv.Range(7, 5))
	check(err)
	_, err = store.Load(ctx, "data/89abcdef") // fails: the span records the error
	if err == nil {
		log.Fatal("loading a missing item should fail")
	}
	check(store.Move(ctx, "data/0123abcd", "", kv.SoftDelete()))
	for _, err := range store.List(ctx, "data", kv.Deleted()) {
		check(err)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
