package sftp

// Syncs returns how many fsync requests d has sent.
func Syncs(d *Driver) int64 { return d.syncs.Load() }
