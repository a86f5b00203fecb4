// Package s3 is the kvcompose driver for stores in S3-compatible object
// storage (AWS S3, Backblaze B2, Ceph RGW, SeaweedFS, MinIO, Wasabi,
// versitygw), over minio-go, with borgstore's URLs and object layout.
//
// # URLs and credentials
//
//	(s3|b2):[PROFILE@ | ACCESS_KEY_ID:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH
//
// as borgstore reads them (see FromURL). Without credentials in the URL the
// usual AWS chain applies: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN, then AWS_PROFILE (or "default") in ~/.aws/credentials,
// then the instance's IAM role. The region comes from AWS_REGION or
// AWS_DEFAULT_REGION, else from the server. b2: is the same driver against
// B2's S3 endpoint; no request carries the x-amz-checksum-* headers B2
// refuses.
//
// # Layout
//
// The layout of borgstore's s3 backend, so that either reads a store the
// other wrote: the item NAME is the object PATH/NAME; the store is marked by
// the empty object PATH/, a directory made by Mkdir by the empty object
// PATH/DIR/.dir, as borgstore marks it (the empty object PATH/DIR/ that
// earlier versions wrote counts too). A directory with a marker lists
// empty once its last item is gone; the nesting layer's Create makes one
// for every namespace, so a namespace lists empty on S3 as on a disk. Any
// other directory exists while an object is under it, so deleting its last
// item also removes it (List of it is then kv.ErrNotFound). ".dir" is
// therefore no item name on S3 (kv.ErrInvalidName). Nothing else is
// pre-created.
//
// # Requests
//
// Every call makes few requests, each bounded by its context: Load one GET
// (with a Range header for a part; a negative offset is a suffix range, or
// a HEAD and an absolute range when the unwanted tail is over 1 MiB);
// Store one PUT (a multipart upload above the part size, 16 MiB by
// default), whose body carries a Content-MD5 the server checks instead of
// a signature of the body, which costs three times as much over plain
// http; Info one HEAD, and a one-key listing when there is no such
// object (a directory); Delete a HEAD (S3 deletes a missing key silently,
// and a missing item must be kv.ErrNotFound) and a DELETE; Move a
// server-side copy and a DELETE; List one ListObjectsV2 per 1000 entries.
// All goroutines share one client and its connection pool. The client
// tries each request once (the retry layer above owns retries); with
// WithRetries, it retries a request that failed on the network or with a
// retryable S3 error that many times, with backoff, and never once the
// context is done.
//
// # Streams
//
// LoadStream is Load's GET, and the body of the reply is the stream: a
// missing object is kv.ErrNotFound from the call, the bytes flow as the
// caller reads them, and the reader holds a connection until it is
// closed. StoreStream reads the stream into a buffer of one part
// (WithPartSize): a value that fits goes up as Store sends it, one PUT
// with its Content-MD5 and SHA-256 (so Hash stays one HEAD); a longer one
// as a multipart upload of the driver's own, up to partThreads parts at
// once, each read into a buffer of the part size and sent with its
// Content-MD5. A stream therefore holds at most partThreads × part size
// bytes (4 × 16 MiB by default) whatever its length, with the size known
// or not; a value of known size beyond 10000 parts gets larger parts, one
// of unknown size fails there. The SHA-256 of a value in parts is known
// only after its last part, too late for S3 to keep it, so Hash loads and
// hashes such a value, as for a Store in parts.
//
// The object appears when the upload completes, after the stream ended as
// declared. A multipart upload that fails, of Store or StoreStream (a
// source that breaks or lies about its size, a cancelled context, a part
// refused), is aborted with a context of its own and retried while the
// server refuses the abort or still lists the upload after it (S3 warns
// that a part in flight may land after an abort), so that no part stays
// behind. A broken source or a refused part lets the parts in flight
// finish before the abort; a cancelled context cuts them, and the abort
// checks for the upload after a pause of 100 ms, so a cut part the server
// writes later than that can still bring the upload back.
//
// # Errors
//
// NoSuchKey and 404 are kv.ErrNotFound; AccessDenied, InvalidAccessKeyId,
// SignatureDoesNotMatch and 403 are kv.ErrPermission; a missing bucket is
// kv.ErrNoStore naming the bucket; refused, reset and timed-out
// connections are kv.ErrConnection. The S3 code and message stay in the
// error's text.
//
// # What S3 cannot promise
//
// Store is atomic: an S3 PUT, or the completion of a multipart upload,
// makes the whole new value visible at once, and readers see the old value
// or the new one. Move is not atomic: it is a copy, then a delete of the
// source. An interruption between the two leaves both names holding the
// value; a reader may see both for a moment even without one; running the
// Move again finishes it. Soft delete (a Move to NAME.del) inherits this,
// so an item can show up live and deleted at once until the Move ends. A
// process killed while it uploads in parts leaves an incomplete upload on
// the server (a failed or cancelled one is aborted), invisible to the
// store but billed by some providers; a lifecycle rule that aborts
// incomplete uploads cleans them up.
//
// A listing is only as consistent as the server makes it. AWS S3 is
// strongly consistent (a listing sees every completed PUT and DELETE); other
// servers and gateways may list a new item late or a deleted one for a
// while, and List then yields what the server said. Destroy deletes what
// its listing finds, so an item stored into the store while it is
// destroyed may survive it.
//
// Importing the package registers the schemes s3 and b2 for compose.Open:
//
//	import _ "github.com/kvcompose/compose/drivers/s3"
package s3
