package sftp

// Syncs returns how many fsync requests d has sent.
func Syncs(d *Driver) int64 { return d.syncs.Load() }

// Sent returns the SFTP requests that d's current connection has sent, by
// name of the packet type, and the rounds: writes to the wire that started
// at least one request, so that pipelined requests make one round.
func Sent(d *Driver) (map[string]int64, int64) {
	d.link.mu.Lock()
	c := d.link.cur
	d.link.mu.Unlock()
	if c == nil {
		return nil, 0
	}
	n := c.sftp.wire.counted()
	names := map[byte]string{1: "INIT", 3: "OPEN", 4: "CLOSE", 5: "READ", 6: "WRITE", 7: "LSTAT",
		8: "FSTAT", 11: "OPENDIR", 12: "READDIR", 13: "REMOVE", 14: "MKDIR", 15: "RMDIR",
		17: "STAT", 18: "RENAME", 200: "EXTENDED"}
	out := map[string]int64{}
	for t, k := range n.types {
		if k == 0 {
			continue
		}
		name, ok := names[byte(t)]
		if !ok {
			name = "type" + string(rune('0'+t/100)) + string(rune('0'+t/10%10)) + string(rune('0'+t%10))
		}
		out[name] = k
	}
	return out, n.rounds
}

// StopSweep stops the background sweep of stale temporaries of d, so that
// a test counts only the requests of its calls.
func StopSweep(d *Driver) { d.sweep.Stop() }

// WaitRemovals waits for the removals of temporaries that failed stores of
// d left behind (removeLater) to end.
func WaitRemovals(d *Driver) { d.left.wg.Wait() }

// Base returns the base directory of d, which is local in the tests.
func Base(d *Driver) string { return d.base }
