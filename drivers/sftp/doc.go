// Package sftp is the kvcompose driver for stores on an SSH server, over
// pkg/sftp and golang.org/x/crypto/ssh (sftp://[user@]host[:port]/path).
//
// # Connecting
//
// FromURL fills in what the URL leaves out from ~/.ssh/config, as OpenSSH
// does: HostName, User, Port and IdentityFile. Keys come from the ssh agent
// (SSH_AUTH_SOCK) and from the identity files (~/.ssh/id_ed25519,
// id_ecdsa and id_rsa when the config names none). Host keys are checked
// against ~/.ssh/known_hosts; an unknown or changed host key is an error
// that says so, never a silent accept. WithClientConfig, WithKnownHosts,
// WithSSHConfig and WithDialer replace each of these for tests and
// embedding.
//
// # Speed
//
// All goroutines share one SSH connection, over which pkg/sftp pipelines
// their requests. For Store, Load and Delete the driver sends its own
// requests on the same session, several at once in a set order (the table
// of requests and round trips is in docs/semantics.md; requests_test.go
// checks it). Store of up to 256 KiB is 3 round trips: an exclusive create
// of a temporary file beside the target; the WRITEs and the CLOSE
// together; a posix-rename@openssh.com over the target once they succeeded
// (sent with them, it would put a value whose write failed in place). A
// mkdir comes only when the create found the directory missing; larger
// values are written as StoreStream writes them. Load of up to 64
// KiB is 2: the open; the FSTAT and the first READs together (the CLOSE is
// not waited for); a larger value keeps rounds of READs in flight. Delete
// is one REMOVE (pkg/sftp's Remove would also remove an empty directory),
// and an LSTAT only after a failure, to say whether the name is a
// directory. OpenSSH offers no remote hash
// (check-file), so Hash loads the value and hashes it locally.
//
// # Streams
//
// LoadStream and StoreStream move a value of any size in constant memory,
// with requests pipelined on the driver's own wire layer. StoreStream
// creates the temporary file as Store does, reads its source into one
// buffer of 32 KiB and sends each piece as a WRITE without waiting for the
// answers of the ones before, up to WithInFlight (default 64: 2 MiB) in
// flight; the sync (WithSync) and the CLOSE follow the last WRITE, and the
// rename is sent once all succeeded: 3 round trips, as Store, plus the
// time the bytes take. A failed StoreStream closes and removes its
// temporary; a cancelled one, or one whose connection broke, removes it on
// a new connection in the background, within WithTimeout (the sweep below
// catches what that cannot reach). LoadStream opens the file and sends its
// FSTAT with the READs of the first 64 KiB, then keeps up to WithInFlight
// READs of 32 KiB in flight, sending more as the caller reads: it holds at
// most that many answers (2 MiB) in memory. Closing the reader early sends
// the CLOSE without waiting for it. Cancelling the context of a stream
// ends it as it ends any call: by closing the connection it waits on, so
// that a hung link does not hold it. On loopback a 64 MiB StoreStream
// peaks at 0.2 MiB of heap and a LoadStream at 4 MiB (a Load of the value:
// 146 MiB); through a 20 ms, 100 Mbit/s link both use 97-98 % of the link
// (BenchmarkLinkStreamSFTP in internal/slowlink).
//
// # Robustness
//
// A keepalive runs every WithKeepAlive interval; a connection that does not
// answer within WithTimeout (also the limit for connecting) is closed, so
// that a dead link gives an error instead of a hang. A call that fails
// because the connection broke returns an error wrapping kv.ErrConnection,
// and the next call connects anew: the retry layer (layers/retry, which
// compose stacks over the driver) owns retries. WithRetries makes the
// driver retry on a new connection itself; a Delete or Move that finds its
// item gone only on such a retry counts as done, since the first try most
// likely succeeded. Cancelling a call's context ends it at once by closing
// the connection it waits on; other calls on that connection are run again
// on a new one.
//
// # Durability
//
// WithSync(true), or the URL query sync=true, makes every Store, Move and
// Delete durable on the server when it returns, as far as SFTP can: the
// value is synced with OpenSSH's fsync@openssh.com extension before the
// rename, and every directory whose entries the call changed or made is
// opened and synced after it (SFTP has no directory sync; OpenSSH's server
// opens a directory as a file and fsyncs it, which is what POSIX asks for a
// rename to be durable). Open checks both once and refuses a server that
// cannot, with kv.ErrUnsupported. What the server's disk does with an
// fsync (a write cache that lies, a network file system below) is beyond
// the protocol. On the local sshd a 4 KiB Store costs 1.3-1.9 ms without
// and 10.6-18.4 ms with sync (BenchmarkStoreSync).
//
// Importing the package registers the scheme sftp for compose.Open:
//
//	import _ "github.com/kvcompose/compose/drivers/sftp"
package sftp
