package kv

// DefaultHash is the algorithm Hash and Defrag use when none is given.
const DefaultHash = "sha256"

// HashAlgorithms returns the algorithms that Hash and TargetHash take, the
// default first: sha256, sha512, sha1, md5, blake2b-256, blake3.
func HashAlgorithms() []string {
	return []string{"sha256", "sha512", "sha1", "md5", "blake2b-256", "blake3"}
}
