package contextdb

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Scheme is the URL scheme this driver registers under.
const Scheme = "contextdb"

// Defaults applied by [ParseURL] and [Open] to zero fields of [Options].
const (
	// DefaultBusyTimeout is how long an operation waits for a lock held by
	// another connection or process (upstream StackMemory included) before
	// failing with driver.ErrUnavailable. It bounds every wait: the driver
	// sets no other deadline of its own.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxConns is the number of connections used for reads; writes
	// use one more connection of their own.
	DefaultMaxConns = 4
	// DefaultRefreshBatch is how many frames changed by upstream
	// StackMemory one write transaction re-encodes (see "Changes made by
	// upstream" in the package documentation).
	DefaultRefreshBatch = 256
)

// Options configures a [Store]. A zero field means its default; Path is
// required.
type Options struct {
	// Path is the upstream context.db file. It must exist and hold
	// upstream's frames, events and anchors tables.
	Path string
	// BusyTimeout: zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// MaxConns: zero means DefaultMaxConns.
	MaxConns int
}

// withDefaults returns o with zero fields replaced by their defaults, or an
// error wrapping driver.ErrBadDSN naming the field that is out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Path == "" {
		return o, fmt.Errorf("%w: contextdb: Options.Path is empty (name the project's .stackmemory/context.db)", driver.ErrBadDSN)
	}
	if o.BusyTimeout < 0 {
		return o, fmt.Errorf("%w: contextdb: busy timeout %v is negative", driver.ErrBadDSN, o.BusyTimeout)
	}
	if o.MaxConns < 0 {
		return o, fmt.Errorf("%w: contextdb: max conns %d is negative", driver.ErrBadDSN, o.MaxConns)
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	return o, nil
}

// ParseURL turns a "contextdb:" URL into Options the caller may adjust
// before calling [Open]. Accepted forms:
//
//	contextdb:///abs/path/.stackmemory/context.db   absolute path
//	contextdb:relative/.stackmemory/context.db      relative to the working directory
//	contextdb:~/project/.stackmemory/context.db     relative to the home directory
//
// Accepted parameters are busy_timeout (a Go duration such as "5s") and
// max_conns (a positive integer). Anything else (another scheme, a host,
// a user, a fragment, no path, an unknown, repeated or malformed
// parameter) fails with an error wrapping driver.ErrBadDSN.
func ParseURL(dsn string) (Options, error) {
	var o Options
	u, err := url.Parse(dsn)
	if err != nil {
		return o, fmt.Errorf("%w: contextdb: not a URL", driver.ErrBadDSN)
	}
	switch {
	case u.Scheme != Scheme:
		return o, fmt.Errorf("%w: contextdb: scheme %q is not %q", driver.ErrBadDSN, u.Scheme, Scheme)
	case u.User != nil:
		return o, fmt.Errorf("%w: contextdb: the URL takes no user or password", driver.ErrBadDSN)
	case u.Host != "":
		return o, fmt.Errorf("%w: contextdb: host %q not allowed; write contextdb:///abs/path/context.db", driver.ErrBadDSN, u.Host)
	case u.Fragment != "":
		return o, fmt.Errorf("%w: contextdb: the URL takes no fragment", driver.ErrBadDSN)
	}
	if err := o.parseParams(u.RawQuery); err != nil {
		return o, err
	}
	path := u.Path
	if u.Opaque != "" {
		if path, err = url.PathUnescape(u.Opaque); err != nil {
			return o, fmt.Errorf("%w: contextdb: bad escape in path", driver.ErrBadDSN)
		}
	}
	if path == "" {
		return o, fmt.Errorf("%w: contextdb: no path; name the project's .stackmemory/context.db", driver.ErrBadDSN)
	}
	if path == "~" || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return o, fmt.Errorf("%w: contextdb: cannot expand ~: %w", driver.ErrBadDSN, err)
		}
		path = filepath.Join(home, path[1:])
	}
	o.Path = path
	return o.withDefaults()
}

func (o *Options) parseParams(rawQuery string) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("%w: contextdb: malformed query", driver.ErrBadDSN)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return fmt.Errorf("%w: contextdb: parameter %q given %d times", driver.ErrBadDSN, key, len(vals))
		}
		val := vals[0]
		switch key {
		case "busy_timeout":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return fmt.Errorf("%w: contextdb: busy_timeout %q is not a positive duration like 5s", driver.ErrBadDSN, val)
			}
			o.BusyTimeout = d
		case "max_conns":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return fmt.Errorf("%w: contextdb: max_conns %q is not a positive integer", driver.ErrBadDSN, val)
			}
			o.MaxConns = n
		default:
			return fmt.Errorf("%w: contextdb: unknown parameter %q (accepted: busy_timeout, max_conns)", driver.ErrBadDSN, key)
		}
	}
	return nil
}
