package restserver

// MemoryInUse returns the request-body memory h has reserved now.
func MemoryInUse(h *Handler) int64 { return h.mem.inUse() }
