package memdriver

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/stackmemoryai/tier/driver"
)

// DefaultMaxFrameSize is the largest document a tier accepts when
// Options.MaxFrameSize is zero: 64 MiB, above the manager's default limit.
const DefaultMaxFrameSize = 64 << 20

// Options configures an in-memory tier. The zero value is a private,
// durable tier with the default size limit.
type Options struct {
	// Name selects a store shared by every tier opened with the same
	// name in the process; empty means a private store.
	Name string
	// NotDurable makes the tier report Durable() == false, like a cache.
	// Tiers sharing a store take the flag of the first one opened.
	NotDurable bool
	// MaxFrameSize is the largest document, in bytes, Put accepts
	// (DefaultMaxFrameSize when zero).
	MaxFrameSize int64
}

// ParseURL reads a "mem://" connection string (see the package
// documentation). Every error wraps driver.ErrBadDSN.
func ParseURL(dsn string) (Options, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Options{}, fmt.Errorf("%w: memdriver: %q is not a URL; want mem://name", driver.ErrBadDSN, dsn)
	}
	if u.Scheme != "mem" {
		return Options{}, fmt.Errorf("%w: memdriver: scheme %q; want mem://name", driver.ErrBadDSN, u.Scheme)
	}
	o := Options{Name: u.Host}
	for k, v := range u.Query() {
		switch k {
		case "durable":
			durable, err := strconv.ParseBool(v[0])
			if err != nil {
				return Options{}, fmt.Errorf("%w: memdriver: durable=%q; want true or false", driver.ErrBadDSN, v[0])
			}
			o.NotDurable = !durable
		case "maxframesize":
			n, err := strconv.ParseInt(v[0], 10, 64)
			if err != nil || n <= 0 {
				return Options{}, fmt.Errorf("%w: memdriver: maxframesize=%q; want a number of bytes above 0", driver.ErrBadDSN, v[0])
			}
			o.MaxFrameSize = n
		default:
			return Options{}, fmt.Errorf("%w: memdriver: unknown parameter %q", driver.ErrBadDSN, k)
		}
	}
	return o, nil
}
