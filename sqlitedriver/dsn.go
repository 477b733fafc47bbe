package sqlitedriver

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Scheme is the URL scheme the tier package registers this driver under.
// SQLite is the embedded default, so package tier registers it itself:
// hosts need no import for it.
const Scheme = "sqlite"

// Defaults used when a URL parameter or an Options field is zero.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultMaxConns    = 4
)

// Driver opens SQLite tiers from "sqlite:" URLs. Package tier registers it
// under the scheme "sqlite". The zero value is ready to
// use and safe for concurrent use.
type Driver struct{}

var _ driver.Driver = Driver{}

// Open opens the tier described by dsn; see [ParseURL] for the accepted
// forms. A malformed URL or an unknown parameter fails with an error
// wrapping driver.ErrBadDSN; other failures are those of [Open].
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	path, opts, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	return Open(ctx, path, &opts)
}

// Options tunes a [Store]. A nil *Options, or a zero field, means the
// default.
type Options struct {
	// BusyTimeout is how long an operation waits for a lock held by
	// another connection or process before failing with an error wrapping
	// driver.ErrUnavailable. Zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// MaxConns is the number of connections used for reads; writes use one
	// more connection of their own. Zero means DefaultMaxConns.
	MaxConns int
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.BusyTimeout == 0 {
		out.BusyTimeout = DefaultBusyTimeout
	}
	if out.MaxConns == 0 {
		out.MaxConns = DefaultMaxConns
	}
	return out
}

func (o Options) validate() error {
	if o.BusyTimeout < 0 {
		return fmt.Errorf("%w: busy timeout %v is negative", ErrInvalidInput, o.BusyTimeout)
	}
	if o.MaxConns < 0 {
		return fmt.Errorf("%w: max conns %d is negative", ErrInvalidInput, o.MaxConns)
	}
	return nil
}

// DefaultPath returns the default database file, ~/.stackmemory/frames.db,
// with the home directory of the current user expanded.
func DefaultPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("sqlitedriver: default path: %w", err)
	}
	return filepath.Join(home, ".stackmemory", "frames.db"), nil
}

// ParseURL turns a "sqlite:" URL into a file path and Options the caller
// may adjust before calling [Open]. Accepted forms:
//
//	sqlite:///abs/path/frames.db   absolute path
//	sqlite:relative/path.db        relative to the working directory
//	sqlite:~/path.db               relative to the home directory
//	sqlite: or sqlite://           the default file, see DefaultPath
//
// Accepted query parameters are busy_timeout (a Go duration such as "5s")
// and max_conns (a positive integer). Anything else — another scheme, a
// host, a user, a fragment, an unknown, repeated or malformed parameter —
// fails with an error wrapping driver.ErrBadDSN.
func ParseURL(rawURL string) (path string, opts Options, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", opts, fmt.Errorf("%w: not a URL", driver.ErrBadDSN)
	}
	if u.Scheme != Scheme {
		return "", opts, fmt.Errorf("%w: scheme %q is not %q", driver.ErrBadDSN, u.Scheme, Scheme)
	}
	if u.User != nil {
		return "", opts, fmt.Errorf("%w: a sqlite URL takes no user or password", driver.ErrBadDSN)
	}
	if u.Host != "" {
		return "", opts, fmt.Errorf("%w: host %q not allowed; write sqlite:///abs/path or sqlite:rel/path", driver.ErrBadDSN, u.Host)
	}
	if u.Fragment != "" {
		return "", opts, fmt.Errorf("%w: a sqlite URL takes no fragment", driver.ErrBadDSN)
	}
	if opts, err = parseParams(u.RawQuery); err != nil {
		return "", opts, err
	}
	path = u.Path
	if u.Opaque != "" {
		if path, err = url.PathUnescape(u.Opaque); err != nil {
			return "", opts, fmt.Errorf("%w: bad escape in path", driver.ErrBadDSN)
		}
	}
	switch {
	case path == "":
		path, err = DefaultPath()
	case path == "~" || strings.HasPrefix(path, "~/"):
		var home string
		if home, err = os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[1:])
		}
	}
	if err != nil {
		return "", opts, fmt.Errorf("sqlitedriver: %w", err)
	}
	return path, opts, nil
}

func parseParams(rawQuery string) (Options, error) {
	var opts Options
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return opts, fmt.Errorf("%w: malformed query", driver.ErrBadDSN)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return opts, fmt.Errorf("%w: parameter %q given %d times", driver.ErrBadDSN, key, len(vals))
		}
		val := vals[0]
		switch key {
		case "busy_timeout":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return opts, fmt.Errorf("%w: busy_timeout %q is not a non-negative duration like 5s", driver.ErrBadDSN, val)
			}
			opts.BusyTimeout = d
		case "max_conns":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return opts, fmt.Errorf("%w: max_conns %q is not a positive integer", driver.ErrBadDSN, val)
			}
			opts.MaxConns = n
		default:
			return opts, fmt.Errorf("%w: unknown parameter %q (accepted: busy_timeout, max_conns)", driver.ErrBadDSN, key)
		}
	}
	return opts, nil
}
