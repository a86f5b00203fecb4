package backendkit

import "io"

// CountSource returns src as ObserveSource does, for a layer that counts
// the bytes a StoreStream reads from src: add(n) is called with the n
// bytes of each Read that go past the furthest position read so far, so
// that every byte of src counts once, also when a retry layer below
// rewinds src and reads it again. add may not be nil.
func CountSource(src io.Reader, add func(n int64)) io.ReadSeeker {
	var furthest int64
	return ObserveSource(src, nil, func(pos int64) {
		if pos > furthest {
			add(pos - furthest)
			furthest = pos
		}
	})
}
