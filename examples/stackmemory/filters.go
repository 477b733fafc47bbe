package main

import (
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// parseIDFlag checks the UUID in *id, when set, and writes back its
// canonical form.
func parseIDFlag(flag string, id *string) error {
	if *id == "" {
		return nil
	}
	canon, err := tier.ParseID(*id)
	if err != nil {
		return usageErrorf("%s: %v", flag, err)
	}
	*id = canon
	return nil
}

// parseAge parses a positive duration like 24h or 7d.
func parseAge(flag, s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageErrorf("%s %q: want a positive duration like 24h or 7d", flag, s)
	}
	return d, nil
}

// parseTimeFlag parses a point in time: an RFC 3339 time
// (2024-05-01T12:00:00Z), a date (2024-05-01, midnight UTC), or a duration
// before now (7d, 36h).
func parseTimeFlag(flag, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := config.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageErrorf("%s %q: want an RFC 3339 time like 2024-05-01T12:00:00Z, a date like 2024-05-01, or a duration before now like 7d", flag, s)
}

// checkLimit refuses a negative --limit, or one above max when max > 0.
func checkLimit(limit, max int) error {
	if limit < 0 || (max > 0 && limit > max) {
		if max > 0 {
			return usageErrorf("--limit %d: must be between 0 and %d", limit, max)
		}
		return usageErrorf("--limit %d: must not be negative", limit)
	}
	return nil
}
