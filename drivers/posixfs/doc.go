// Package posixfs is the kvcompose driver that keeps every item as a file
// below a local base directory (file:///abs/path), confined with os.Root.
//
// # Safety
//
// Every file access goes through an os.Root opened on the base directory:
// no name and no symbolic link planted inside the store makes the driver
// read, write or delete outside it. Stores are atomic (a temporary file in
// the target directory, renamed over the target); temporary files are never
// listed. Directories are created on demand, and the driver reports that it
// benefits from pre-created nesting directories.
//
// # Streams
//
// LoadStream opens the file and reads it (a kv.Range by a seek and a
// limit): the open file is the version the reader sees to its end, even
// when the item is overwritten, moved over or deleted meanwhile; Close
// closes it, and io.Copy of the reader into a file or a socket lets the
// kernel move the bytes. StoreStream is Store with the value read from
// src as it arrives (backendkit.Source, copied with io.Copy in constant
// memory): the same temporary file, sync and rename, done once src has
// given the whole value. A failure, a size that lies or a cancelled
// context removes the temporary and leaves the item as it was; a src that
// stalls with a read deadline (a pipe, a connection) is interrupted by
// cancelling the context (backendkit.Interruptible). A StoreStream never
// retries once it began reading src: a missing directory is found, and
// made, before the first byte.
//
// # Speed
//
// An os.Root resolves a path one element at a time, with one openat per
// directory. To keep Store and Load at the cost of plain syscalls on a full
// path, the driver keeps an os.Root per directory it has used (at most 1024;
// all of nesting level 1 fits), so that an item call resolves only the last
// element. A cached directory that is removed or replaced behind the
// driver's back is noticed on the next not-found error and opened afresh.
// kvcompose bench --compare (cmd/kvcompose) compares the driver with plain
// syscalls.
//
// # Durability
//
// WithFsync(true), or the URL query sync=true, makes every Store, Move and
// Delete durable when it returns: Store syncs the temporary file before
// the rename and the directory after it, Move and Delete sync the
// directories whose entries they changed, and a directory made on the way
// (or by Mkdir) is synced into its parent. It is off by default: on the
// test machines' ext4 disk, under load, it raises the cost of storing a new
// 4 KiB item from 0.27-0.36 ms to 4.3-7.0 ms (BenchmarkStoreFsync).
//
// Importing the package registers the scheme file for compose.Open, which
// imports it itself.
package posixfs
