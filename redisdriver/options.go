package redisdriver

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// Defaults applied by [ParseURL] and by [Open] to zero fields of [Options].
// Each is the one default of its setting; the package documentation states
// them too.
const (
	// DefaultPrefix is the key prefix of the StackMemory storage spec.
	DefaultPrefix = "sm:"
	// DefaultTTL is how long a frame lives in Redis after its last write
	// or access, as in the spec (86400 s).
	DefaultTTL = 24 * time.Hour
	// DefaultTimeout bounds a call on one frame (Get, Put, Delete, Ping):
	// the spec's 50 ms for a warm-tier operation.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultBatchTimeout bounds a call on many frames (GetMany, PutMany,
	// DeleteMany, GetMetas, Touch, Candidates, Usage), a Put of a document
	// over [BigFrame] bytes, and each round trip of Compact.
	DefaultBatchTimeout = time.Second
	// DefaultCompressionLevel is the brotli quality documents are stored
	// with: a good balance of speed and size for JSON.
	DefaultCompressionLevel = 5
	// DefaultMaxFrameSize is the largest document the store accepts and
	// inflates; larger values found in Redis are reported as corrupt.
	DefaultMaxFrameSize = 64 << 20
)

// maxFrameLimit is the largest MaxFrameSize: Redis refuses strings over
// 512 MiB (proto-max-bulk-len), and a document that does not compress
// grows a little.
const maxFrameLimit = 500 << 20

// BigFrame is the document size from which a Put is bounded by
// BatchTimeout rather than Timeout: moving megabytes takes longer than a
// round trip.
const BigFrame = 1 << 20

// Options configures a [Store]. The zero value of every field except
// ClientOption means its default, so Options{ClientOption: o} is a complete
// configuration once o names a server.
type Options struct {
	// ClientOption configures the rueidis client: addresses, user,
	// password, database, TLS. A Redis Cluster is detected by rueidis from
	// the server, nothing needs to be set for it.
	ClientOption rueidis.ClientOption

	// Prefix starts every key the store writes ("sm:" when empty). Stores
	// with different prefixes never see each other's frames. It must not
	// contain '{' or '}', which Redis Cluster reads as a hash tag.
	Prefix string

	// TTL is the time to live of a frame's keys (DefaultTTL when zero),
	// renewed by every Put and Touch, and by a Get when less than 90 % of
	// it is left. Ignored when Durable is set.
	TTL time.Duration

	// Durable declares a Redis that persists its data and never evicts
	// keys (appendonly, maxmemory-policy noeviction). Frames then get no
	// TTL, and [Store.Durable] reports true, which lets the manager keep a
	// frame's only copy here. Every store sharing a prefix must agree on
	// this flag.
	Durable bool

	// CompressionLevel is the brotli quality documents are compressed
	// with, from 1 (fastest) to 11 (smallest) (DefaultCompressionLevel
	// when zero).
	CompressionLevel int

	// Timeout bounds each call on one frame (DefaultTimeout when zero).
	// The store applies it itself, whatever the caller's context; an
	// earlier deadline of the context still ends the call first. A call
	// that runs out of this time fails with driver.ErrUnavailable.
	Timeout time.Duration

	// BatchTimeout bounds each call on many frames, a Put of a document
	// over BigFrame bytes, and each round trip of Compact
	// (DefaultBatchTimeout when zero), under the rules of Timeout.
	BatchTimeout time.Duration

	// MaxFrameSize is the largest document, in bytes, the store writes or
	// inflates (DefaultMaxFrameSize when zero; at most 500 MiB, under
	// Redis's 512 MiB limit on a string).
	MaxFrameSize int64
}

// withDefaults returns o with zero fields replaced by their defaults, or an
// error wrapping driver.ErrBadDSN when a field is out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return o, fmt.Errorf("%w: prefix %q must not contain '{' or '}'", driver.ErrBadDSN, o.Prefix)
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.TTL < time.Millisecond {
		return o, fmt.Errorf("%w: ttl %s must be at least 1ms", driver.ErrBadDSN, o.TTL)
	}
	if o.CompressionLevel == 0 {
		o.CompressionLevel = DefaultCompressionLevel
	}
	if o.CompressionLevel < 1 || o.CompressionLevel > 11 {
		return o, fmt.Errorf("%w: compression %d is not a brotli quality from 1 to 11", driver.ErrBadDSN, o.CompressionLevel)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		return o, fmt.Errorf("%w: timeout %s is negative", driver.ErrBadDSN, o.Timeout)
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.BatchTimeout < 0 {
		return o, fmt.Errorf("%w: batch_timeout %s is negative", driver.ErrBadDSN, o.BatchTimeout)
	}
	if o.MaxFrameSize == 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.MaxFrameSize < 0 || o.MaxFrameSize > maxFrameLimit {
		return o, fmt.Errorf("%w: max_frame_size %d is not from 1 to %d bytes", driver.ErrBadDSN, o.MaxFrameSize, int64(maxFrameLimit))
	}
	if len(o.ClientOption.InitAddress) == 0 {
		return o, fmt.Errorf("%w: no Redis address", driver.ErrBadDSN)
	}
	// The store reads each key once per call; server-assisted client
	// caching would only cost memory and invalidation traffic.
	o.ClientOption.DisableCache = true
	return o, nil
}

// Parameters of the URL read by this package; the rest go to rueidis.
const (
	paramPrefix      = "prefix"
	paramTTL         = "ttl"
	paramDurable     = "durable"
	paramCompression = "compression"
	paramTimeout     = "timeout"
	paramBatch       = "batch_timeout"
	paramMaxFrame    = "max_frame_size"
)

// rueidisParams are the URL parameters rueidis.ParseURL understands; any
// other parameter is rejected rather than silently ignored.
var rueidisParams = map[string]bool{
	"db": true, "dial_timeout": true, "write_timeout": true, "addr": true,
	"skip_verify": true, "protocol": true, "client_cache": true,
	"max_retries": true, "client_name": true, "master_set": true,
}

// ParseURL turns a redis:// or rediss:// URL into Options, with every
// default filled in, for the caller to adjust before [Open]:
//
//	redis://[user[:password]@]host[:port][/db][?param=value&...]
//
// Parameters of this package: prefix, ttl, durable, compression, timeout
// and batch_timeout (see the package documentation for their meaning and
// defaults). Parameters of rueidis: db,
// addr (more seed addresses, for a cluster), dial_timeout, write_timeout,
// skip_verify, protocol, client_name, max_retries, client_cache,
// master_set. Any other parameter, or a bad value, gives an error
// wrapping driver.ErrBadDSN. Errors never contain the password.
func ParseURL(rawURL string) (Options, error) {
	o, err := parseURL(rawURL)
	if err != nil {
		// Parameter values are quoted in messages; one may be the password.
		if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
				detail := strings.TrimPrefix(err.Error(), driver.ErrBadDSN.Error())
				return Options{}, fmt.Errorf("%w%s", driver.ErrBadDSN, scrub(detail, pw))
			}
		}
		return Options{}, err
	}
	return o, nil
}

func parseURL(rawURL string) (Options, error) {
	var o Options
	u, err := url.Parse(rawURL)
	if err != nil {
		// url errors quote the whole input, password included.
		return o, fmt.Errorf("%w: not a URL", driver.ErrBadDSN)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return o, fmt.Errorf("%w: scheme %q is not redis or rediss", driver.ErrBadDSN, u.Scheme)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return o, fmt.Errorf("%w: bad query string", driver.ErrBadDSN)
	}
	for name, vals := range q {
		if len(vals) > 1 && name != "addr" {
			return o, fmt.Errorf("%w: parameter %q given more than once", driver.ErrBadDSN, name)
		}
		if err := o.setParam(name, vals[0]); err != nil {
			return o, err
		}
		if isOwnParam(name) {
			q.Del(name)
		}
	}
	u.RawQuery = q.Encode()
	o.ClientOption, err = rueidis.ParseURL(u.String())
	if err != nil {
		return o, fmt.Errorf("%w: %v", driver.ErrBadDSN, err)
	}
	return o.withDefaults()
}

func isOwnParam(name string) bool {
	switch name {
	case paramPrefix, paramTTL, paramDurable, paramCompression, paramTimeout, paramBatch, paramMaxFrame:
		return true
	}
	return false
}

// setParam applies one of this package's URL parameters, checks that any
// other is known to rueidis, and rejects the rest.
func (o *Options) setParam(name, val string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: parameter %s=%q: %s", driver.ErrBadDSN, name, val, why)
	}
	switch name {
	case paramPrefix:
		if val == "" {
			return bad("empty prefix")
		}
		o.Prefix = val
	case paramTTL:
		d, err := time.ParseDuration(val)
		if err != nil || d < time.Millisecond {
			return bad("want a duration of at least 1ms, like 24h")
		}
		o.TTL = d
	case paramDurable:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return bad("want true or false")
		}
		o.Durable = b
	case paramCompression:
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 11 {
			return bad("want a brotli quality from 1 to 11")
		}
		o.CompressionLevel = n
	case paramTimeout, paramBatch:
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return bad("want a positive duration, like 50ms")
		}
		if name == paramTimeout {
			o.Timeout = d
		} else {
			o.BatchTimeout = d
		}
	case paramMaxFrame:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 1 || n > maxFrameLimit {
			return bad(fmt.Sprintf("want a size in bytes from 1 to %d", int64(maxFrameLimit)))
		}
		o.MaxFrameSize = n
	default:
		if !rueidisParams[name] {
			return fmt.Errorf("%w: unknown parameter %q", driver.ErrBadDSN, name)
		}
	}
	return nil
}
