// Command slownet runs the same workload twice over the memory driver: at
// full speed, and through the throttle layer emulating a 10 ms / 16 Mbit/s
// link, and prints the stats of both runs.
//
//	go run ./examples/slownet
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"time"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/layers/stats"
	"github.com/kvcompose/compose/layers/throttle"
)

func main() {
	fast := run(compose.WithoutThrottle())
	slow := run(compose.WithThrottle(throttle.Config{Latency: 10 * time.Millisecond, Bandwidth: 16e6}))
	fmt.Printf("full speed:\n%s\n\nover 10 ms / 16 Mbit/s:\n%s\n", fast, slow)
}

// run stores, loads and lists 16 items of 64 KiB and returns the stats.
func run(link compose.Option) stats.Snapshot {
	ctx := context.Background()
	var st *stats.Layer
	store, err := compose.Open("mem://slownet", link, compose.WithStats(&st),
		compose.WithLevels(map[string][]int{"data/": {1}}))
	if err != nil {
		log.Fatal(err)
	}
	check(store.Create(ctx))
	check(store.Open(ctx))
	defer func() {
		check(store.Close(ctx))
		check(store.Destroy(ctx))
	}()
	var names []string
	for i := range 16 {
		value := make([]byte, 64<<10)
		value[0] = byte(i)
		sum := sha256.Sum256(value)
		name := "data/" + hex.EncodeToString(sum[:])
		check(store.Store(ctx, name, value))
		names = append(names, name)
	}
	for _, name := range names {
		_, err := store.Load(ctx, name)
		check(err)
	}
	for _, err := range store.List(ctx, "data") {
		check(err)
	}
	return st.Snapshot()
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
