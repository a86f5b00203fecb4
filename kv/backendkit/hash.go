package backendkit

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/blake2b"

	"github.com/kvcompose/compose/kv"
)

// NewHash returns a new hash.Hash for algorithm ("" means DefaultHash). An
// unknown algorithm is an ErrUnsupported error that says "Unsupported hash
// algorithm" (the text borgstore's clients look for) and lists the known ones.
func NewHash(algorithm string) (hash.Hash, error) {
	switch algorithm {
	case "", "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	case "sha1":
		return sha1.New(), nil
	case "md5":
		return md5.New(), nil
	case "blake2b-256":
		return blake2b.New256(nil)
	case "blake3":
		return blake3.New(), nil
	}
	return nil, fmt.Errorf("%w: Unsupported hash algorithm %q (known: %v)", kv.ErrUnsupported, algorithm, kv.HashAlgorithms())
}

// HashBytes returns the hex digest of data with algorithm.
func HashBytes(algorithm string, data []byte) (string, error) {
	h, err := NewHash(algorithm)
	if err != nil {
		return "", err
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Hash is the generic Backend.Hash: it reads name from b with opts as a
// stream (LoadStream) and hashes it locally, in constant memory whatever
// the size of the value. Drivers without a remote hash call it with
// themselves as b.
func Hash(ctx context.Context, b kv.Backend, name, algorithm string, opts ...kv.Option) (string, error) {
	h, err := NewHash(algorithm)
	if err != nil {
		return "", NewError(kv.OpHash, name, nil, err)
	}
	r, err := b.LoadStream(ctx, name, opts...)
	if err != nil {
		return "", err
	}
	defer r.Close()
	if _, err := io.Copy(h, r); err != nil {
		return "", NewError(kv.OpHash, name, nil, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
