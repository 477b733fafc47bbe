package tier

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/stackmemoryai/tier/driver"
)

var (
	driversMu sync.RWMutex
	drivers   = map[string]driver.Driver{}
)

// Register makes a tier driver available under the given URL scheme, like
// "redis" or "postgres". Drivers call it from their init function, so a host
// enables one with a blank import:
//
//	import _ "github.com/stackmemoryai/tier/redisdriver"
//
// Register panics if d is nil or a driver is already registered under name.
func Register(name string, d driver.Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("tier: Register driver is nil")
	}
	if _, dup := drivers[name]; dup {
		panic("tier: Register called twice for driver " + name)
	}
	drivers[name] = d
}

// Drivers returns the names of the registered drivers, sorted.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for name := range drivers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// OpenTier opens one tier from a URL, with the driver registered for the
// URL's scheme. An unknown scheme fails with an error wrapping
// [ErrUnknownDriver] that names the scheme. Errors never contain the URL's
// password.
func OpenTier(ctx context.Context, rawURL string) (driver.Tier, error) {
	scheme, err := schemeOf(rawURL)
	if err != nil {
		return nil, err
	}
	driversMu.RLock()
	d, ok := drivers[scheme]
	driversMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (forgotten import?)", ErrUnknownDriver, scheme)
	}
	t, err := d.Open(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("tier: open %s: %w", Redact(rawURL), err)
	}
	return t, nil
}

func schemeOf(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%w: %q is not a URL with a scheme", ErrBadConfig, Redact(rawURL))
	}
	return u.Scheme, nil
}

// Redact returns rawURL with its password (in the user info or in a
// "password" query parameter) replaced by "xxxxx", for logs and error
// messages. A file path (a SQLite file) is returned as it is. Any other
// string that is not a URL with a scheme is replaced whole, since it may
// be a key=value connection string holding a secret.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if isPath(rawURL) {
			return rawURL
		}
		return "(redacted connection string)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// isPath reports whether s reads as a file path, which holds no secret:
// no '=' (key=value settings) or '@' (user info), and no ':' except after
// a leading '/', '.' or '~', or a drive letter.
func isPath(s string) bool {
	if s == "" || strings.ContainsAny(s, "=@") {
		return false
	}
	switch {
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "."), strings.HasPrefix(s, "~"):
		return true
	case len(s) > 2 && s[1] == ':' && (s[2] == '\\' || s[2] == '/'):
		return true
	}
	return !strings.Contains(s, ":")
}
