package cache_test

import (
	"context"
	"fmt"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/layers/cache"
)

func ExampleNew() {
	ctx := context.Background()
	// A slow primary (here memory, in practice sftp://...) and a local
	// cache (in practice a posixfs driver on file:///var/cache/...).
	primary, local := memory.New("primary"), memory.New("cache")
	value := []byte("a chunk of a backup")
	key, _ := backendkit.HashBytes("sha256", value)

	l := cache.New(primary, local, map[string]cache.Policy{
		// Content-addressed: serve from the cache, check the digest first.
		"data/": {Mode: cache.WriteThrough, MaxSize: 1 << 30, Verify: "sha256"},
		// Mutable: keep a copy, but always read the primary.
		"config/": {Mode: cache.Mirror},
	})
	l.Create(ctx)
	l.Open(ctx)
	defer l.Destroy(ctx)
	defer l.Close(ctx)

	l.Store(ctx, "data/"+key, value)
	l.Store(ctx, "config/settings", []byte("x=1"))
	for range 3 {
		l.Load(ctx, "data/"+key)
	}
	part, _ := l.Load(ctx, "data/"+key, kv.Range(2, 5))
	l.Load(ctx, "config/settings")

	s := l.Stats()
	fmt.Printf("part %q, %d hits, %d misses, %d items of %d bytes cached\n", part, s.Hits, s.Misses, s.Items, s.Size)
	// Output:
	// part "chunk", 4 hits, 0 misses, 2 items of 22 bytes cached
}
