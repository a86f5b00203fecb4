package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Defaults of the options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultRetries     = 0 // the retry layer owns retries
	DefaultConcurrency = 64
	DefaultPartSize    = 16 << 20
	DefaultPartThreads = 4
	// MinPartSize is S3's smallest part of a multipart upload.
	MinPartSize = 5 << 20
)

// awsEndpoint is the endpoint when the URL names none.
const awsEndpoint = "https://s3.amazonaws.com"

// Driver is a kv.Backend that keeps every item NAME as the object
// PATH/NAME of a bucket on an S3 server. All goroutines share one client
// and its pool of connections.
type Driver struct {
	scheme   string // "s3" or "b2"
	endpoint *url.URL
	bucket   string
	prefix   string // "PATH/"
	cfg      config

	client    *minio.Client
	core      minio.Core
	transport *http.Transport // nil when WithTransport gave one

	lc backendkit.Lifecycle
}

var (
	_ kv.Backend   = (*Driver)(nil)
	_ kv.Describer = (*Driver)(nil)
)

// config is what the Options set.
type config struct {
	creds       *credentials.Credentials
	region      string
	transport   http.RoundTripper
	timeout     time.Duration
	retries     int
	concurrency int
	partSize    uint64
	partThreads uint
	b2          bool
}

// Option configures a Driver.
type Option func(*config)

// WithStaticCredentials signs requests with an access key id, its secret
// and, for temporary credentials, a session token.
func WithStaticCredentials(keyID, secret, token string) Option {
	return func(c *config) { c.creds = credentials.NewStaticV4(keyID, secret, token) }
}

// WithProfile reads the credentials of profile from the shared credentials
// file ($AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).
func WithProfile(profile string) Option {
	return func(c *config) { c.creds = credentials.NewFileAWSCredentials("", profile) }
}

// WithCredentials signs requests with the credentials creds provides.
func WithCredentials(creds *credentials.Credentials) Option {
	return func(c *config) { c.creds = creds }
}

// WithRegion sets the region of the bucket; without it the region comes
// from AWS_REGION or AWS_DEFAULT_REGION, else from the server (one
// request, the first time).
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithTransport makes the client send its requests through rt instead of
// a transport of its own (WithTimeout and WithConcurrency then do not
// apply to connections).
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.transport = rt } }

// WithTimeout limits connecting and the wait for the headers of a reply.
// A request that hits it is retried (WithRetries) and then fails with
// kv.ErrConnection. The body of a reply is bounded only by the context.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRetries sets how often the client retries a request that failed on
// the network or with a retryable S3 error (SlowDown, InternalError, ...),
// with exponential backoff; 0 (the default) is no retries: the retry layer,
// which compose stacks over the driver, owns retries. Retries stop when the
// context is done.
func WithRetries(n int) Option { return func(c *config) { c.retries = n } }

// WithConcurrency sizes the connection pool for n goroutines calling at
// once.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithPartSize sets the size of the parts of a multipart upload, which
// Store and StoreStream use for values larger than one part (at least
// MinPartSize), and how many parts go up at once. A StoreStream holds up
// to threads buffers of size bytes.
func WithPartSize(size uint64, threads uint) Option {
	return func(c *config) { c.partSize, c.partThreads = size, threads }
}

// withB2 marks the driver as one for Backblaze B2 (the b2: scheme).
func withB2() Option { return func(c *config) { c.b2 = true } }

// New returns a closed driver for the store at path in bucket on the
// server at endpoint ("http(s)://host[:port]", "" for AWS S3). Without a
// credentials option it takes the usual AWS chain: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, then AWS_PROFILE (or
// "default") in ~/.aws/credentials, then the instance's IAM role. Bad
// arguments are a kv.ErrInvalidURL error that says which. New does no I/O.
func New(endpoint, bucket, path string, opts ...Option) (*Driver, error) {
	d, why := newDriver(endpoint, bucket, path, opts)
	if why != "" {
		return nil, backendkit.NewError(kv.OpNew, path, kv.ErrInvalidURL, errors.New(why))
	}
	return d, nil
}

// newDriver is New, which returns why the arguments are not valid.
func newDriver(endpoint, bucket, path string, opts []Option) (*Driver, string) {
	c := config{timeout: DefaultTimeout, retries: DefaultRetries, concurrency: DefaultConcurrency,
		partSize: DefaultPartSize, partThreads: DefaultPartThreads}
	for _, o := range opts {
		o(&c)
	}
	if endpoint == "" {
		endpoint = awsEndpoint
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return nil, err.Error()
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") != "":
		return nil, fmt.Sprintf("endpoint %q, want http(s)://host[:port]", endpoint)
	case bucket == "" || strings.Contains(bucket, "/"):
		return nil, fmt.Sprintf("bucket %q", bucket)
	case strings.Trim(path, "/") == "":
		return nil, "the store needs a path of its own in the bucket"
	case c.partSize < MinPartSize:
		return nil, fmt.Sprintf("part size %d is below S3's minimum of %d", c.partSize, MinPartSize)
	}
	if c.creds == nil {
		c.creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{},
		})
	}
	if c.region == "" {
		c.region = cmpOr(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	d := &Driver{scheme: "s3", endpoint: u, bucket: bucket, prefix: strings.TrimRight(path, "/") + "/", cfg: c}
	if c.b2 {
		d.scheme = "b2"
	}
	rt := c.transport
	if rt == nil {
		d.transport = newTransport(c)
		rt = d.transport
	}
	d.client, err = minio.New(u.Host, &minio.Options{
		Creds:     c.creds,
		Secure:    u.Scheme == "https",
		Transport: rt,
		Region:    c.region,
		// No trailing checksums: B2 refuses the x-amz-checksum-* headers
		// they add, and Store sends a Content-MD5 anyway.
		TrailingHeaders: false,
		MaxRetries:      c.retries + 1, // minio-go counts the first try
	})
	if err != nil {
		return nil, err.Error()
	}
	d.core = minio.Core{Client: d.client}
	return d, ""
}

// newTransport returns the connection pool of a driver: keep-alive
// HTTP/1.1 connections for c.concurrency goroutines (one request each: S3
// serves parallel transfers best on parallel connections), bounded
// connecting and waiting for replies, no compression (values are opaque).
func newTransport(c config) *http.Transport {
	dialer := &net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          c.concurrency,
		MaxIdleConnsPerHost:   c.concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   c.timeout,
		ResponseHeaderTimeout: c.timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Properties describes the driver: scheme "s3" or "b2", remote, the host
// and port of the endpoint, no pre-created directories and a flat
// namespace (S3 has no directories; a prefix exists while an object is
// under it), listed recursively with kv.Recursive.
func (d *Driver) Properties() kv.Properties {
	host, port := d.address()
	return kv.Properties{Scheme: d.scheme, Remote: true, Precreate: false, Flat: true, Address: host, Port: port}
}

// String describes the driver as its URL, without credentials.
func (d *Driver) String() string {
	return d.scheme + ":" + d.endpoint.Scheme + "://" + d.endpoint.Host + "/" + d.bucket + "/" + strings.TrimSuffix(d.prefix, "/")
}

// address returns the host and port of the endpoint.
func (d *Driver) address() (string, int) {
	port, _ := strconv.Atoi(d.endpoint.Port())
	if port == 0 {
		port = map[string]int{"http": 80, "https": 443}[d.endpoint.Scheme]
	}
	return d.endpoint.Hostname(), port
}

// Create makes the store: the empty object PATH/ marks it, as borgstore
// does. A prefix that holds other objects is kv.ErrExists; a missing
// bucket is kv.ErrNoStore.
func (d *Driver) Create(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		for obj, err := range d.listing(ctx, d.prefix, true, 2) {
			if err != nil {
				return d.fail(ctx, kv.OpCreate, "", err)
			}
			if obj.Key != d.prefix && !backendkit.IsStoreRecord(strings.TrimPrefix(obj.Key, d.prefix)) {
				return backendkit.NewError(kv.OpCreate, "", kv.ErrExists,
					fmt.Errorf("s3:%s/%s holds objects", d.bucket, d.prefix))
			}
		}
		if err := d.putEmpty(ctx, d.prefix); err != nil {
			return d.fail(ctx, kv.OpCreate, "", err)
		}
		return d.fail(ctx, kv.OpCreate, backendkit.StoreRecord, d.put(ctx, d.prefix+backendkit.StoreRecord, []byte(backendkit.StoreRecordText)))
	})
}

// Destroy deletes every object under PATH/, in batches of up to 1000 per
// request; a prefix without objects is kv.ErrNoStore, one that is not a
// store (backendkit.Recognize) kv.ErrNotAStore, and nothing is deleted then.
func (d *Driver) Destroy(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		if err := d.checkStore(ctx, kv.OpDestroy); err != nil {
			return err
		}
		return d.fail(ctx, kv.OpDestroy, "", d.destroy(ctx))
	})
}

// Open opens the store; a prefix without objects, or a missing bucket, is
// kv.ErrNoStore, one that is not a store (backendkit.Recognize) kv.ErrNotAStore. It
// costs one request for a store that Create made.
func (d *Driver) Open(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpOpen, func() error { return d.checkStore(ctx, kv.OpOpen) })
}

// checkStore returns kv.ErrNoStore for a prefix without objects and
// kv.ErrNotAStore for one that is not a store (backendkit.Recognize).
func (d *Driver) checkStore(ctx context.Context, op kv.Op) error {
	found := false
	readDir := func(ctx context.Context, dir string) ([]backendkit.DirEntry, error) {
		key := d.dirKey(dir)
		var out []backendkit.DirEntry
		for obj, err := range d.listing(ctx, key, false, 0) {
			if err != nil {
				return nil, d.fail(ctx, op, dir, err)
			}
			found = true
			if base, isDir := strings.CutSuffix(obj.Key[len(key):], "/"); base != "" { // not the marker
				out = append(out, backendkit.DirEntry{Name: base, Dir: isDir})
			}
		}
		return out, d.fail(ctx, op, dir, ctx.Err())
	}
	root, err := readDir(ctx, "")
	switch {
	case err != nil:
		return err
	case !found:
		return backendkit.NewError(op, "", kv.ErrNoStore, fmt.Errorf("no objects under s3:%s/%s", d.bucket, d.prefix))
	}
	return backendkit.Recognize(ctx, op, "s3:"+d.bucket+"/"+d.prefix, func(ctx context.Context, dir string) ([]backendkit.DirEntry, error) {
		if dir == "" {
			return root, nil
		}
		return readDir(ctx, dir)
	})
}

// Close closes the store and the idle connections of its pool.
func (d *Driver) Close(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpClose, func() error {
		if d.transport != nil {
			d.transport.CloseIdleConnections()
		}
		return nil
	})
}

// destroy deletes everything under the prefix as it lists it.
func (d *Driver) destroy(ctx context.Context) error {
	var listErr error
	n := 0
	keys := func(yield func(minio.ObjectInfo) bool) {
		for obj, err := range d.listing(ctx, d.prefix, true, 0) {
			if err != nil {
				listErr = err
				return
			}
			n++
			if !yield(obj) {
				return
			}
		}
	}
	results, err := d.client.RemoveObjectsWithIter(ctx, d.bucket, keys, minio.RemoveObjectsOptions{})
	if err != nil {
		return err
	}
	var errs []error
	for r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.ObjectName, r.Err))
		}
	}
	switch {
	case listErr != nil:
		return listErr
	case len(errs) > 0:
		return errors.Join(errs...)
	case ctx.Err() != nil:
		return ctx.Err()
	case n == 0:
		return backendkit.NewError(kv.OpDestroy, "", kv.ErrNoStore, fmt.Errorf("no objects under s3:%s/%s", d.bucket, d.prefix))
	}
	return nil
}
