package kvtest

import (
	"path"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

func testHash(t *testing.T, b kv.Backend) {
	c := ctx(t)
	value := "the quick brown fox"
	store(t, b, "hash/item", value)
	for _, alg := range kv.HashAlgorithms() {
		want, err := backendkit.HashBytes(alg, []byte(value))
		noErr(t, err, "backendkit.HashBytes %s", alg)
		got, err := b.Hash(c, "hash/item", alg)
		noErr(t, err, "hash %s", alg)
		if got != want {
			t.Errorf("hash %s: %q, want %q", alg, got, want)
		}
	}
	want, _ := backendkit.HashBytes(kv.DefaultHash, []byte(value))
	got, err := b.Hash(c, "hash/item", "")
	noErr(t, err, "hash with the default algorithm")
	if got != want {
		t.Errorf("hash with the default algorithm: %q, want the %s %q", got, kv.DefaultHash, want)
	}
	_, err = b.Hash(c, "hash/item", "crc32")
	if err == nil || !strings.Contains(err.Error(), "crc32") {
		t.Errorf("hash with an unknown algorithm: %v, want an error that names it", err)
	}
	isErr(t, err, kv.ErrUnsupported, "hash with an unknown algorithm")
}

func testDefrag(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "defrag/a", "0123456789")
	store(t, b, "defrag/b", "abcdefghij")
	blocks := []kv.Block{{Name: "defrag/a", Offset: 2, Size: 3}, {Name: "defrag/b", Offset: 0, Size: 2}, {Name: "defrag/a", Offset: 9, Size: 1}}
	const content = "234ab9"

	name, err := b.Defrag(c, blocks, kv.Target("defrag/target"))
	noErr(t, err, "defrag to a target")
	if name != "defrag/target" {
		t.Errorf("defrag to a target returned %q", name)
	}
	load(t, b, "defrag/target", content)

	for _, alg := range []string{"", "blake3"} {
		opts := []kv.Option{kv.TargetHash(alg)}
		if alg == "" {
			alg, opts = kv.DefaultHash, nil
		}
		sum, _ := backendkit.HashBytes(alg, []byte(content))
		name, err := b.Defrag(c, blocks, opts...)
		noErr(t, err, "defrag named by %s", alg)
		if want := path.Join("defrag", sum); name != want {
			t.Errorf("defrag named by %s: %q, want %q (in the sources' directory)", alg, name, want)
		}
		load(t, b, name, content)
	}

	for _, short := range [][]kv.Block{
		{{Name: "defrag/a", Offset: 8, Size: 5}},
		{{Name: "defrag/a", Offset: 0, Size: 1}, {Name: "defrag/b", Offset: 20, Size: 1}},
		// Claims far past the end are checked against the item before
		// anything is allocated (once an out-of-memory crash), and sums
		// that overflow are refused (once a panic).
		{{Name: "defrag/a", Offset: 0, Size: 99999999999}},
		{{Name: "defrag/a", Offset: 0, Size: 1 << 62}, {Name: "defrag/a", Offset: 0, Size: 1 << 62}},
		{{Name: "defrag/a", Offset: 1 << 62, Size: 1 << 62}},
	} {
		_, err := b.Defrag(c, short, kv.Target("defrag/short"))
		isErr(t, err, kv.ErrReadRange, "defrag with a short block %v", short)
		exists(t, b, "defrag/short", false)
	}
	_, err = b.Defrag(c, []kv.Block{{Name: "defrag/missing", Size: 1}}, kv.Target("defrag/short"))
	isErr(t, err, kv.ErrNotFound, "defrag from a missing item")
	exists(t, b, "defrag/short", false)
}

func testQuota(t *testing.T, b kv.Backend) {
	store(t, b, "quota/item", "12345")
	q, err := b.Quota(ctx(t))
	noErr(t, err, "quota")
	if q.Limit != -1 && q.Limit <= 0 {
		t.Errorf("quota limit %d: want -1 (not tracked) or a positive limit", q.Limit)
	}
	if q.Usage < -1 {
		t.Errorf("quota usage %d: want -1 (not tracked) or the bytes used", q.Usage)
	}
}
