package config

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/stackmemoryai/tier"
)

// Config is the StackMemory TierConfig: the three tiers of the spec, the
// movement policy, and the background loop. The zero value of a field means
// its default; [Default] returns every default filled in.
//
// A Config is usually loaded with [Load] (file plus environment) and
// may then be adjusted in code. [Config.Validate] names every bad field.
type Config struct {
	SQLite   SQLiteConfig   `json:"sqlite"`
	Redis    RedisConfig    `json:"redis"`
	Postgres PostgresConfig `json:"postgres"`

	// PromotionThreshold is how many reads within PromotionWindow bring a
	// frame from a lower tier back to tier 1. Default 3.
	PromotionThreshold int `json:"promotionThreshold,omitempty"`
	// PromotionWindow is the window PromotionThreshold counts reads in.
	// Default 1 hour.
	PromotionWindow Duration `json:"promotionWindow,omitempty"`
	// EvictionStrategy picks which frames leave a full tier first: LRU
	// (default), LFU or AGE.
	EvictionStrategy tier.Policy `json:"evictionStrategy,omitempty"`
	// BackgroundSync runs demotion, healing and catch-up in the background
	// every SyncInterval. Default true; set false to run them only on
	// demand (Manager.Maintain, Migrate, Compact).
	BackgroundSync *bool `json:"backgroundSync,omitempty"`
	// SyncInterval is the pause between background cycles. Default 1 minute.
	SyncInterval Duration `json:"syncInterval,omitempty"`
	// BreakerCooldown is how long a tier's circuit breaker, once tripped,
	// fails calls at once before it lets one probe through. Default 2s.
	BreakerCooldown Duration `json:"breakerCooldown,omitempty"`
	// MaxFrameSize is the largest document Put accepts. Default 16 MiB.
	MaxFrameSize ByteSize `json:"maxFrameSize,omitempty"`

	// StatePath is the file of the manager's own bookkeeping (move
	// journal, outbox, mover lease, statistics). Default: tier-state.db
	// beside the SQLite file; in memory when Chain is set.
	StatePath string `json:"statePath,omitempty"`

	// Logger receives the library's log events. Default: slog.Default().
	Logger *slog.Logger `json:"-"`
	// Hooks let a host feed its own metrics. Not read from config files.
	Hooks tier.Hooks `json:"-"`
}

// SQLiteConfig configures the hot tier, an embedded SQLite file.
type SQLiteConfig struct {
	// Path of the database file. Default ~/.stackmemory/frames.db.
	Path string `json:"path,omitempty"`
	// MaxSize is the byte budget of the tier. Default 500 MB.
	MaxSize ByteSize `json:"maxSize,omitempty"`
	// MaxFrames is the frame budget of the tier. Default 1000.
	MaxFrames int64 `json:"maxFrames,omitempty"`
	// MaxAge moves frames not read for this long to the next tier.
	// Default 24 hours.
	MaxAge Duration `json:"maxAge,omitempty"`
}

// RedisConfig configures the warm tier. It is used only when URL is set
// and the host imported the redisdriver package.
type RedisConfig struct {
	// URL of the Redis server, like redis://:password@host:6379/0.
	URL string `json:"url,omitempty"`
	// TTL of a frame's keys, renewed on access. Default 24 hours.
	TTL Seconds `json:"ttl,omitempty"`
	// MaxAge moves frames not read for this long to the next tier.
	// Default 7 days.
	MaxAge Duration `json:"maxAge,omitempty"`
	// MaxSize is the byte budget of the tier. Default 1 GB.
	MaxSize ByteSize `json:"maxSize,omitempty"`
	// KeyPrefix namespaces the keys. Default "sm:".
	KeyPrefix string `json:"keyPrefix,omitempty"`
	// Timeout bounds a call on one frame; calls on many frames get ten
	// times as long (at least 5s). Default 50ms, the spec's SLA.
	Timeout Duration `json:"timeout,omitempty"`
}

// PostgresConfig configures the cold tier. It is used only when URL is set
// and the host imported the pgdriver package.
type PostgresConfig struct {
	// URL of the database, like postgres://user:password@host/db.
	URL string `json:"url,omitempty"`
	// CompressionLevel is the brotli quality (0-11) of archived documents.
	// Default 6.
	CompressionLevel *int `json:"compressionLevel,omitempty"`
	// RetentionDays deletes archived frames older than this many days;
	// 0 (the default) keeps them forever.
	RetentionDays int `json:"retentionDays,omitempty"`
	// Timeout bounds a call on one frame; calls on many frames get ten
	// times as long (at least 5s). Default 200ms, the spec's SLA.
	Timeout Duration `json:"timeout,omitempty"`
}

// Defaults of the StackMemory spec.
const (
	DefaultSQLiteMaxSize      = 500 * MB
	DefaultSQLiteMaxFrames    = 1000
	DefaultSQLiteMaxAge       = 24 * time.Hour
	DefaultRedisTTL           = 24 * time.Hour
	DefaultRedisMaxAge        = 7 * 24 * time.Hour
	DefaultRedisMaxSize       = 1 * GB
	DefaultRedisKeyPrefix     = "sm:"
	DefaultCompressionLevel   = 6
	DefaultPromotionThreshold = 3
	DefaultPromotionWindow    = time.Hour
	DefaultSyncInterval       = time.Minute
	DefaultBreakerCooldown    = 2 * time.Second
	DefaultRedisTimeout       = 50 * time.Millisecond
	DefaultPostgresTimeout    = 200 * time.Millisecond
)

// Default returns the spec's defaults: SQLite alone, LRU eviction,
// background sync every minute.
func Default() Config {
	var c Config
	c.fillDefaults()
	return c
}

func (c *Config) fillDefaults() {
	setIfZero(&c.SQLite.MaxSize, DefaultSQLiteMaxSize)
	setIfZero(&c.SQLite.MaxFrames, DefaultSQLiteMaxFrames)
	setIfZero(&c.SQLite.MaxAge, Duration(DefaultSQLiteMaxAge))
	setIfZero(&c.Redis.TTL, Seconds(DefaultRedisTTL))
	setIfZero(&c.Redis.MaxAge, Duration(DefaultRedisMaxAge))
	setIfZero(&c.Redis.MaxSize, DefaultRedisMaxSize)
	setIfZero(&c.Redis.KeyPrefix, DefaultRedisKeyPrefix)
	setIfZero(&c.Redis.Timeout, Duration(DefaultRedisTimeout))
	setIfZero(&c.Postgres.Timeout, Duration(DefaultPostgresTimeout))
	if c.Postgres.CompressionLevel == nil {
		level := DefaultCompressionLevel
		c.Postgres.CompressionLevel = &level
	}
	setIfZero(&c.PromotionThreshold, DefaultPromotionThreshold)
	setIfZero(&c.PromotionWindow, Duration(DefaultPromotionWindow))
	setIfZero(&c.EvictionStrategy, tier.LRU)
	if c.BackgroundSync == nil {
		on := true
		c.BackgroundSync = &on
	}
	setIfZero(&c.SyncInterval, Duration(DefaultSyncInterval))
	setIfZero(&c.MaxFrameSize, tier.DefaultMaxFrameSize)
	setIfZero(&c.BreakerCooldown, Duration(DefaultBreakerCooldown))
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate checks c after filling defaults, and reports every bad field at
// once: the error wraps tier.ErrBadConfig and one *FieldError per field
// (errors.As finds the first; the message lists all). It never includes a
// URL's password.
func (c Config) Validate() error {
	c.fillDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &tier.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if c.SQLite.MaxSize < 0 {
		bad("sqlite.maxSize", "must not be negative")
	}
	if c.SQLite.MaxFrames < 0 {
		bad("sqlite.maxFrames", "must not be negative")
	}
	if c.SQLite.MaxAge < 0 {
		bad("sqlite.maxAge", "must not be negative")
	}
	if c.Redis.TTL < 0 {
		bad("redis.ttl", "must not be negative")
	} else if c.Redis.TTL > 0 && c.Redis.TTL < Seconds(time.Second) {
		bad("redis.ttl", "must be at least one second")
	}
	if c.Redis.MaxAge < 0 {
		bad("redis.maxAge", "must not be negative")
	} else if c.Redis.MaxAge > 0 && c.SQLite.MaxAge > 0 && c.Redis.MaxAge < c.SQLite.MaxAge {
		bad("redis.maxAge", "%s is shorter than sqlite.maxAge %s: the warm tier would keep frames for less time than the hot tier",
			time.Duration(c.Redis.MaxAge), time.Duration(c.SQLite.MaxAge))
	}
	if c.Redis.Timeout < 0 || c.Postgres.Timeout < 0 {
		bad("timeout", "must not be negative")
	}
	if c.Redis.MaxSize < 0 {
		bad("redis.maxSize", "must not be negative")
	}
	for _, u := range []struct {
		field, url string
		schemes    []string
	}{
		{"redis.url", c.Redis.URL, []string{"redis", "rediss"}},
		{"postgres.url", c.Postgres.URL, []string{"postgres", "postgresql"}},
	} {
		if u.url == "" {
			continue
		}
		if scheme, _, ok := strings.Cut(u.url, "://"); !ok || !slices.Contains(u.schemes, scheme) {
			bad(u.field, "%q is not a %s:// URL", tier.Redact(u.url), u.schemes[0])
		}
	}
	if l := *c.Postgres.CompressionLevel; l < 0 || l > 11 {
		bad("postgres.compressionLevel", "%d is outside 0-11", l)
	}
	if c.Postgres.RetentionDays < 0 {
		bad("postgres.retentionDays", "must not be negative")
	}
	if c.PromotionThreshold < 1 {
		bad("promotionThreshold", "must be at least 1")
	}
	if c.PromotionWindow < 0 {
		bad("promotionWindow", "must not be negative")
	}
	if _, err := tier.ParsePolicy(string(c.EvictionStrategy)); err != nil {
		bad("evictionStrategy", "%q is not one of LRU, LFU, AGE", string(c.EvictionStrategy))
	}
	if c.SyncInterval < Duration(time.Second) {
		bad("syncInterval", "must be at least one second")
	}
	if c.BreakerCooldown < 0 {
		bad("breakerCooldown", "must not be negative")
	}
	if c.MaxFrameSize < 2 {
		bad("maxFrameSize", "must be at least 2 bytes")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", tier.ErrBadConfig, errors.Join(errs...))
}
