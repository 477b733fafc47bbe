package sqlitedriver

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

// Options configures a [Store]. A zero field means its default (see the
// package documentation, "Defaults").
type Options struct {
	// Path is the database file. A relative path is relative to the
	// working directory, a leading ~ is the home directory, and an empty
	// Path means [DefaultPath]. [Open] makes it absolute.
	Path string
	// BusyTimeout is how long an operation waits for a lock held by
	// another connection or process before failing with an error wrapping
	// driver.ErrUnavailable. Zero means [DefaultBusyTimeout].
	BusyTimeout time.Duration
	// MaxConns is the number of connections used for reads; writes use one
	// more connection of their own. Zero means [DefaultMaxConns].
	MaxConns int
	// SearchWindow is how many of the matches of a full-text query most
	// recently written to the file are ranked. Zero means
	// [DefaultSearchWindow].
	SearchWindow int
}

// withDefaults returns o with zero fields replaced by their defaults and
// Path made absolute, or an error wrapping driver.ErrBadDSN naming the bad
// field.
func (o Options) withDefaults() (Options, error) {
	if o.BusyTimeout < 0 {
		return o, fmt.Errorf("sqlitedriver: %w: BusyTimeout %v is negative; use 0 for the default %v",
			driver.ErrBadDSN, o.BusyTimeout, DefaultBusyTimeout)
	}
	if o.MaxConns < 0 {
		return o, fmt.Errorf("sqlitedriver: %w: MaxConns %d is negative; use 0 for the default %d",
			driver.ErrBadDSN, o.MaxConns, DefaultMaxConns)
	}
	if o.SearchWindow < 0 {
		return o, fmt.Errorf("sqlitedriver: %w: SearchWindow %d is negative; use 0 for the default %d",
			driver.ErrBadDSN, o.SearchWindow, DefaultSearchWindow)
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.SearchWindow == 0 {
		o.SearchWindow = DefaultSearchWindow
	}
	path, err := resolvePath(o.Path)
	if err != nil {
		return o, err
	}
	o.Path = path
	return o, nil
}

// resolvePath makes path absolute: empty means DefaultPath, a leading ~ the
// home directory, anything else relative to the working directory.
func resolvePath(path string) (string, error) {
	var err error
	switch {
	case path == "":
		path, err = DefaultPath()
	case path == "~" || strings.HasPrefix(path, "~/"):
		var home string
		if home, err = os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[1:])
		}
	}
	if err == nil {
		path, err = filepath.Abs(path)
	}
	if err != nil {
		return "", fmt.Errorf("sqlitedriver: %w: path %q: %w; give an absolute path", driver.ErrBadDSN, path, err)
	}
	return path, nil
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

// URL parameters read by [ParseURL].
const (
	paramBusyTimeout  = "busy_timeout"
	paramMaxConns     = "max_conns"
	paramSearchWindow = "search_window"
)

// ParseURL turns a "sqlite:" URL into Options the caller may adjust before
// calling [Open]. Accepted forms:
//
//	sqlite:///abs/path/frames.db   absolute path
//	sqlite:rel/path.db             relative to the working directory
//	sqlite://rel.db                relative to the working directory
//	sqlite:~/x.db, sqlite://~/x.db relative to the home directory
//	sqlite: or sqlite://           the default file, see DefaultPath
//
// The path of the result is absolute. Accepted query parameters are
// busy_timeout (a Go duration such as "5s"), max_conns (a positive
// integer) and search_window (a positive integer). Anything else — another
// scheme, a user, a fragment, an unknown, repeated or malformed parameter —
// fails with an error wrapping driver.ErrBadDSN that says what to write
// instead.
func ParseURL(dsn string) (Options, error) {
	var o Options
	u, err := url.Parse(dsn)
	if err != nil {
		return o, fmt.Errorf("sqlitedriver: %w: not a URL; write sqlite:///abs/path.db or sqlite:rel/path.db", driver.ErrBadDSN)
	}
	if u.Scheme != Scheme {
		return o, fmt.Errorf("sqlitedriver: %w: scheme %q is not %q; write sqlite:///abs/path.db or sqlite:rel/path.db",
			driver.ErrBadDSN, u.Scheme, Scheme)
	}
	if u.User != nil {
		return o, fmt.Errorf("sqlitedriver: %w: a sqlite URL takes no user or password; write sqlite:///abs/path.db", driver.ErrBadDSN)
	}
	if u.Fragment != "" || strings.Contains(dsn, "#") {
		return o, fmt.Errorf("sqlitedriver: %w: a sqlite URL takes no fragment (#...); escape # in a file name as %%23", driver.ErrBadDSN)
	}
	if o, err = parseParams(u.RawQuery); err != nil {
		return o, err
	}
	path := u.Host + u.Path // sqlite://rel.db and sqlite://~/x.db name relative paths
	if u.Opaque != "" {
		if path, err = url.PathUnescape(u.Opaque); err != nil {
			return o, fmt.Errorf("sqlitedriver: %w: bad %%-escape in path %q", driver.ErrBadDSN, u.Opaque)
		}
	}
	o.Path, err = resolvePath(path)
	return o, err
}

func parseParams(rawQuery string) (Options, error) {
	var o Options
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return o, fmt.Errorf("sqlitedriver: %w: malformed query string %q; write ?name=value&name=value with %%-escapes", driver.ErrBadDSN, rawQuery)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return o, fmt.Errorf("sqlitedriver: %w: parameter %q given %d times; give it once", driver.ErrBadDSN, key, len(vals))
		}
		val := vals[0]
		switch key {
		case paramBusyTimeout:
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return o, fmt.Errorf("sqlitedriver: %w: busy_timeout=%q: want a non-negative duration like 5s", driver.ErrBadDSN, val)
			}
			o.BusyTimeout = d
		case paramMaxConns:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return o, fmt.Errorf("sqlitedriver: %w: max_conns=%q: want a positive integer like 4", driver.ErrBadDSN, val)
			}
			o.MaxConns = n
		case paramSearchWindow:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return o, fmt.Errorf("sqlitedriver: %w: search_window=%q: want a positive integer like 500", driver.ErrBadDSN, val)
			}
			o.SearchWindow = n
		default:
			return o, fmt.Errorf("sqlitedriver: %w: unknown parameter %q; accepted: busy_timeout, max_conns, search_window",
				driver.ErrBadDSN, key)
		}
	}
	return o, nil
}
