package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/pgdriver"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// Validate checks c after filling defaults, the connection strings and
// the SQLite path included (each parsed by its driver), without touching
// any store or file. It reports every bad field at once: the error wraps
// tier.ErrBadConfig and one *tier.FieldError per field (errors.As finds
// the first; the message lists all). Fields are named by their path in
// config.json (storage.tiers.sqlite.maxAge); a connection string or path
// from the environment by its variable (STACKMEMORY_REDIS_URL), one set
// in code by its Go name (Config.Redis.URL). Messages show only what the
// user wrote, passwords redacted.
func (c Config) Validate() error {
	_, err := c.plan()
	return err
}

// problems collects the bad fields of a config.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &tier.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// addCause records a bad field whose reason is an error of a driver,
// which stays in the chain for errors.Is (driver.ErrBadDSN).
func (p *problems) addCause(field, value string, cause error) {
	*p = append(*p, fieldCause(field, value, cause))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", tier.ErrBadConfig, errors.Join(p...))
}

// causeError is a *tier.FieldError that also wraps the driver's error.
type causeError struct {
	*tier.FieldError
	cause error
}

func (e *causeError) Unwrap() []error { return []error{e.FieldError, e.cause} }

// fieldCause names field, the value the user wrote (redacted) and what the
// driver said about it.
func fieldCause(field, value string, cause error) error {
	return &causeError{&tier.FieldError{Field: field, Reason: quote(tier.Redact(value)) + ": " + cause.Error()}, cause}
}

// checkValues checks the values of c (defaults filled), everything but the
// connection strings and paths.
func (c *Config) checkValues(p *problems) {
	limit := func(field string, v int64) {
		if v < 0 && v != NoLimit {
			p.add(field, "must not be negative (0 in config.json, NoLimit in Go, means no limit)")
		}
	}
	notNegative := func(field string, v Duration) {
		if v < 0 {
			p.add(field, "must not be negative")
		}
	}
	limit("storage.tiers.sqlite.maxSize", int64(c.SQLite.MaxSize))
	limit("storage.tiers.sqlite.maxFrames", c.SQLite.MaxFrames)
	limit("storage.tiers.sqlite.maxAge", int64(c.SQLite.MaxAge))
	notNegative("storage.tiers.sqlite.busyTimeout", c.SQLite.BusyTimeout)
	limit("storage.tiers.redis.maxSize", int64(c.Redis.MaxSize))
	limit("storage.tiers.redis.maxFrames", c.Redis.MaxFrames)
	limit("storage.tiers.redis.maxAge", int64(c.Redis.MaxAge))
	if c.Redis.MaxAge > 0 && c.SQLite.MaxAge > 0 && c.Redis.MaxAge < c.SQLite.MaxAge {
		p.add("storage.tiers.redis.maxAge", "%s is shorter than storage.tiers.sqlite.maxAge %s: the warm tier would keep frames for less time than the hot tier",
			c.Redis.MaxAge, c.SQLite.MaxAge)
	}
	switch {
	case c.Redis.TTL != 0 && c.Redis.TTL < Duration(time.Second):
		p.add("storage.tiers.redis.ttl", "must be at least 1s")
	case c.Redis.TTL != 0 && c.Redis.Durable:
		p.add("storage.tiers.redis.ttl", "a durable Redis keeps frames without a TTL: set ttl or durable, not both")
	}
	if strings.ContainsAny(c.Redis.KeyPrefix, "{}") {
		p.add("storage.tiers.redis.keyPrefix", "%s: no '{' or '}' (Redis Cluster reads them as a hash tag)", quote(c.Redis.KeyPrefix))
	}
	notNegative("storage.tiers.redis.timeout", c.Redis.Timeout)
	notNegative("storage.tiers.redis.batchTimeout", c.Redis.BatchTimeout)
	if l := c.Postgres.CompressionLevel; l != nil && (*l < 0 || *l > 11) {
		p.add("storage.tiers.postgres.compressionLevel", "%d is outside 0 (none) to 11", *l)
	}
	if c.Postgres.CompressMin < 0 {
		p.add("storage.tiers.postgres.compressMin", "must not be negative")
	}
	if c.Postgres.RetentionDays < 0 {
		p.add("storage.tiers.postgres.retentionDays", "must not be negative (0 keeps frames forever)")
	}
	if c.Postgres.TombstoneDays < 0 {
		p.add("storage.tiers.postgres.tombstoneDays", "must not be negative (0 means the default, 30)")
	}
	notNegative("storage.tiers.postgres.timeout", c.Postgres.Timeout)
	notNegative("storage.tiers.postgres.batchTimeout", c.Postgres.BatchTimeout)

	if c.PromotionThreshold < 1 {
		p.add("storage.policies.promotionThreshold", "must be at least 1")
	}
	notNegative("storage.policies.promotionWindow", c.PromotionWindow)
	if c.BroughtUpShare <= 0 || c.BroughtUpShare > 1 {
		p.add("storage.policies.broughtUpShare", "%v is not above 0 and at most 1", c.BroughtUpShare)
	}
	if policy, err := tier.ParsePolicy(string(c.EvictionStrategy)); err != nil {
		p.add("storage.policies.evictionStrategy", "%s is not one of LRU, LFU, AGE", quote(string(c.EvictionStrategy)))
	} else {
		c.EvictionStrategy = policy
	}
	if c.SyncInterval < Duration(time.Second) {
		p.add("storage.policies.syncInterval", "must be at least 1s")
	}
	notNegative("storage.breakerCooldown", c.BreakerCooldown)
	if c.MaxFrameSize != 0 && c.MaxFrameSize < 2 {
		p.add("storage.maxFrameSize", "must be at least 2 bytes (or 0: what every tier of the chain holds)")
	}
}

// checkFrameSize refuses a document limit larger than a tier of the chain
// holds.
func (c Config) checkFrameSize(p *problems, redisOn, postgresOn bool) {
	check := func(on bool, max int64, what string) {
		if on && int64(c.MaxFrameSize) > max {
			p.add("storage.maxFrameSize", "%s is more than %s holds (%s)", c.MaxFrameSize, what, ByteSize(max))
		}
	}
	check(true, sqlitedriver.MaxFrameSize, "SQLite")
	check(postgresOn, pgdriver.MaxFrameSize, "PostgreSQL")
	check(redisOn, redisdriver.DefaultMaxFrameSize, "Redis")
}
