package cache_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/throttle"
)

// overOnMemory returns a bench stack: the layer with policy over a memory
// primary and a memory cache.
func overOnMemory(name string, policy map[string]cache.Policy) kvtest.Bench {
	return kvtest.Bench{Name: name, New: func(*testing.B) kv.Backend {
		return cache.New(memory.New("primary"), memory.New("cache"), policy)
	}}
}

// overheadStacks compare the memory driver alone with the layer when it
// caches nothing, mirrors, and writes through (loads are hits).
var overheadStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	overOnMemory("cache-off", map[string]cache.Policy{"config/": {Mode: cache.Mirror}}),
	overOnMemory("cache-mirror", map[string]cache.Policy{"data/": {Mode: cache.Mirror}}),
	overOnMemory("cache-writethrough", map[string]cache.Policy{"data/": {Mode: cache.WriteThrough}}),
	overOnMemory("cache-writethrough-lru", map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, MaxSize: 1 << 30}}),
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, overheadStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, overheadStacks...) }

// BenchmarkRemote compares loads from an sftp store on a real sshd on
// 127.0.0.1 behind an emulated 10 ms latency with the same loads served
// by a file:// (posixfs) cache in front of it, for 4 KiB and 1 MiB values,
// and verified hits (the sha256 of the value checked against the key).
// Without sshd it skips (fails with CI=true). Run it with a small
// -benchtime, such as 20x: each uncached load takes at least 10 ms.
func BenchmarkRemote(b *testing.B) {
	srv := sshdtest.Start(b)
	const latency = 10 * time.Millisecond
	remote := func(b *testing.B) kv.Backend {
		d, err := sftp.FromURL("sftp://kvtest/"+filepath.Join(b.TempDir(), "store"),
			sftp.WithSSHConfig(srv.SSHConfig), sftp.WithKnownHosts(srv.KnownHosts))
		if err != nil {
			b.Fatal(err)
		}
		return throttle.New(d, throttle.Config{Latency: latency})
	}
	local := func(b *testing.B) kv.Backend {
		d, err := posixfs.New(filepath.Join(b.TempDir(), "cache"))
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	stacks := []kvtest.Bench{
		{Name: "sftp-10ms", New: remote},
		{Name: "sftp-10ms+file-cache", New: func(b *testing.B) kv.Backend {
			return cache.New(remote(b), local(b), map[string]cache.Policy{"data/": {Mode: cache.WriteThrough}})
		}},
	}
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(sizeName(size), func(b *testing.B) { kvtest.BenchLoad(b, size, stacks...) })
	}
	// A verified hit needs a key that is the digest of the value.
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run("verified-hit-"+sizeName(size), func(b *testing.B) {
			ctx := context.Background()
			s := kvtest.OpenStore(b, cache.New(remote(b), local(b),
				map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, Verify: "sha256"}}))
			value := make([]byte, size)
			key, _ := backendkit.HashBytes("sha256", value)
			if err := s.Store(ctx, "data/"+key, value); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(value)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(ctx, "data/"+key); err != nil {
					b.Fatal(err)
				}
			}
			if st := s.Stats(); st.Corrupt != 0 || st.Misses != 0 {
				b.Fatalf("stats %+v: want hits only", st)
			}
		})
	}
}

// BenchmarkMiss measures a load that misses: the primary at 10 ms behind
// posixfs (no sshd needed), the item evicted before each load, so that
// every load reads the primary and fills the cache.
func BenchmarkMiss(b *testing.B) {
	ctx := context.Background()
	primary, err := posixfs.New(filepath.Join(b.TempDir(), "primary"))
	if err != nil {
		b.Fatal(err)
	}
	local, err := posixfs.New(filepath.Join(b.TempDir(), "cache"))
	if err != nil {
		b.Fatal(err)
	}
	l := kvtest.OpenStore(b, cache.New(throttle.New(primary, throttle.Config{Latency: 10 * time.Millisecond}), local,
		map[string]cache.Policy{"data/": {Mode: cache.WriteThrough}}))
	if err := l.Store(ctx, kvtest.BenchKey, make([]byte, 4096)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := l.Invalidate(ctx, kvtest.BenchKey); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Load(ctx, kvtest.BenchKey); err != nil {
			b.Fatal(err)
		}
	}
}

// sizeName names a size for a sub-benchmark: "4KiB", "1MiB".
func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
