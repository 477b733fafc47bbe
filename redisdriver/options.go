package redisdriver

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// Defaults applied by [ParseURL] and by [Open] to zero fields of [Options].
const (
	// DefaultPrefix is the key prefix of the StackMemory storage spec.
	DefaultPrefix = "sm:"
	// DefaultTTL is how long a frame lives in Redis after its last write
	// or access, as in the spec (86400 s).
	DefaultTTL = 24 * time.Hour
	// DefaultTimeout bounds each round trip to Redis made on behalf of a
	// call whose context has no deadline.
	DefaultTimeout = 200 * time.Millisecond
	// DefaultMaxFrameSize is the largest document the store accepts and
	// inflates; larger values found in Redis are reported as corrupt.
	DefaultMaxFrameSize = 64 << 20
)

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

	// TTL is the time to live of a frame's keys, renewed by every Get,
	// Touch and Put (DefaultTTL when zero). Ignored when Durable is set.
	TTL time.Duration

	// Durable declares a Redis that persists its data and never evicts
	// keys (appendonly, maxmemory-policy noeviction). Frames then get no
	// TTL, and [Store.Durable] reports true, which lets the manager keep a
	// frame's only copy here. Every store sharing a prefix must agree on
	// this flag.
	Durable bool

	// CompressionLevel is the brotli quality documents are compressed
	// with, from 1 (fastest) to 11 (smallest); 0 selects
	// codec.DefaultLevel.
	CompressionLevel int

	// Timeout bounds every round trip to Redis made for a call whose
	// context carries no deadline (DefaultTimeout when zero). A context
	// deadline, when present, is used instead.
	Timeout time.Duration

	// MaxFrameSize is the largest document, in bytes, the store writes or
	// inflates (DefaultMaxFrameSize when zero).
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
		o.CompressionLevel = codec.DefaultLevel
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
	if o.MaxFrameSize == 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.MaxFrameSize < 0 {
		return o, fmt.Errorf("%w: negative max frame size", driver.ErrBadDSN)
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
// Parameters of this package: prefix (key prefix, default "sm:"), ttl (a
// Go duration, default 24h), durable (bool, default false), compression
// (brotli quality 1-11, default 5), timeout (per round trip when the
// context has no deadline, default 200ms). Parameters of rueidis: db,
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
	case paramPrefix, paramTTL, paramDurable, paramCompression, paramTimeout:
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
	case paramTimeout:
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return bad("want a positive duration, like 200ms")
		}
		o.Timeout = d
	default:
		if !rueidisParams[name] {
			return fmt.Errorf("%w: unknown parameter %q", driver.ErrBadDSN, name)
		}
	}
	return nil
}
