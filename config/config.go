package config

import (
	"log/slog"
	"time"

	"github.com/stackmemoryai/tier"
)

// Config is the spec's TierConfig: the `storage` object of
// ~/.stackmemory/config.json, as Go values. Each field documents its
// path in the file. The zero value of a field means its default;
// [Default] fills in those of the config itself (limits and movement),
// while a zero driver setting (timeouts, key prefix, TTL, compression)
// means the driver's own default, the constant named in its doc, unless the
// connection string sets it.
//
// A Config is usually loaded with [Load] (file plus environment) and may
// then be adjusted in code. [Config.Validate] names every bad field;
// [Open] opens the chain.
type Config struct {
	// Enabled is storage.enabled: false turns tiering off, leaving SQLite
	// alone (tier 1 keeps every frame; Redis and PostgreSQL are not
	// opened, whatever their settings and the environment say). nil means
	// true.
	Enabled *bool

	SQLite   SQLiteConfig   // storage.tiers.sqlite
	Redis    RedisConfig    // storage.tiers.redis
	Postgres PostgresConfig // storage.tiers.postgres

	// PromotionThreshold is storage.policies.promotionThreshold: how many
	// reads within PromotionWindow bring a frame from a lower tier back to
	// tier 1. Default tier.DefaultPromotionThreshold (3).
	PromotionThreshold int
	// PromotionWindow is storage.policies.promotionWindow, the window
	// PromotionThreshold counts reads in. Default
	// tier.DefaultPromotionWindow (1 hour).
	PromotionWindow Duration
	// NoPromotion is storage.policies.promotion set to false: frames read
	// from a lower tier stay there.
	NoPromotion bool
	// NoPrefetch is storage.policies.prefetch set to false: a read from a
	// lower tier does not warm the frame's parents and session.
	NoPrefetch bool
	// BroughtUpShare is storage.policies.broughtUpShare, the share of
	// tier 1's limits that copies brought up from lower tiers may hold,
	// above 0 and at most 1. Default tier.DefaultBroughtUpShare (0.2).
	BroughtUpShare float64
	// EvictionStrategy is storage.policies.evictionStrategy: which frames
	// leave a full tier first, LRU (default), LFU or AGE, in any case.
	EvictionStrategy tier.Policy
	// BackgroundSync is storage.policies.backgroundSync: demotion, healing
	// and catch-up run in the background every SyncInterval. nil means
	// true; false runs them only on demand (Manager.Maintain, Migrate,
	// Compact).
	BackgroundSync *bool
	// SyncInterval is storage.policies.syncInterval, the pause between
	// background cycles, at least one second. Default
	// tier.DefaultSyncInterval (1 minute).
	SyncInterval Duration

	// BreakerCooldown is storage.breakerCooldown: how long a tier's
	// circuit breaker, once tripped, fails calls at once before it lets one
	// probe through. Default tier.DefaultBreakerCooldown (2s).
	BreakerCooldown Duration
	// MaxFrameSize is storage.maxFrameSize, the largest document Put
	// accepts. Default (0): tier.DefaultMaxFrameSize (16 MiB), or the
	// smallest limit of the chain's tiers when one holds less (a
	// context.db: 4 MiB); a larger value than a tier holds is refused.
	MaxFrameSize ByteSize
	// StatePath is storage.statePath, the file of the manager's own
	// bookkeeping (move journal, outbox, mover lease, statistics). Default:
	// tier-state.db beside the tier 1 file. Relative paths and ~/ work as
	// for SQLite.Path.
	StatePath string

	// Logger receives the library's log events. Default: slog.Default().
	// Not read from config.json.
	Logger *slog.Logger
	// Hooks let a host feed its own metrics. Not read from config.json.
	Hooks tier.Hooks

	// from remembers where the connection strings and the SQLite path
	// came from, for error messages.
	from sources
	// flatKeys are the keys of the earlier flat layout the file used.
	flatKeys []string
}

// SQLiteConfig is storage.tiers.sqlite, tier 1: an embedded SQLite file,
// or an upstream StackMemory context.db adopted in place.
type SQLiteConfig struct {
	// Path is storage.tiers.sqlite.path, the database file: a path
	// (relative to the working directory, or starting with ~/), or a
	// sqlite: URL (see sqlitedriver.ParseURL). A path naming an upstream
	// StackMemory context.db (contextdb.IsContextDB) tiers that file in
	// place with package contextdb. Default ~/.stackmemory/frames.db.
	// STACKMEMORY_SQLITE_PATH overrides it.
	Path string
	// MaxSize is storage.tiers.sqlite.maxSize, the byte budget of the
	// tier. Default DefaultSQLiteMaxSize; NoLimit for none.
	MaxSize ByteSize
	// MaxFrames is storage.tiers.sqlite.maxFrames, the frame budget of the
	// tier. Default DefaultSQLiteMaxFrames; NoLimit for none.
	MaxFrames int64
	// MaxAge is storage.tiers.sqlite.maxAge: frames not read for this long
	// move to the next tier. Default DefaultSQLiteMaxAge; NoLimit for none.
	MaxAge Duration
	// BusyTimeout is storage.tiers.sqlite.busyTimeout, how long a write
	// waits for another process's lock. Default
	// sqlitedriver.DefaultBusyTimeout (contextdb.DefaultBusyTimeout).
	BusyTimeout Duration
}

// RedisConfig is storage.tiers.redis, tier 2: a Redis cache shared between
// machines, with redisdriver.
type RedisConfig struct {
	// Enabled is storage.tiers.redis.enabled. nil means "when URL is set";
	// false leaves the tier out even with a URL; true requires a URL.
	// A URL from the environment turns the tier on.
	Enabled *bool
	// URL is storage.tiers.redis.connectionString, like
	// redis://:password@host:6379/0 (see redisdriver.ParseURL for its
	// parameters). STACKMEMORY_REDIS_URL overrides it.
	URL string
	// TTL is storage.tiers.redis.ttl, the time to live of a frame's keys,
	// renewed on access; at least one second. Default
	// redisdriver.DefaultTTL (24 hours).
	TTL Duration
	// MaxSize is storage.tiers.redis.maxSize, the byte budget of the tier.
	// Default DefaultRedisMaxSize; NoLimit for none.
	MaxSize ByteSize
	// MaxFrames is storage.tiers.redis.maxFrames, the frame budget of the
	// tier. Default none.
	MaxFrames int64
	// MaxAge is storage.tiers.redis.maxAge: frames not read for this long
	// move to the next tier. Default DefaultRedisMaxAge; NoLimit for none.
	MaxAge Duration
	// KeyPrefix is storage.tiers.redis.keyPrefix, the namespace of the
	// keys; no '{' or '}'. Default redisdriver.DefaultPrefix ("sm:").
	KeyPrefix string
	// Durable is storage.tiers.redis.durable: the Redis persists its data
	// and never evicts (appendonly, noeviction), so frames get no TTL and
	// it may hold a frame's only copy.
	Durable bool
	// Timeout is storage.tiers.redis.timeout, the bound of a call on one
	// frame. Default redisdriver.DefaultTimeout (50ms, the spec's SLA).
	Timeout Duration
	// BatchTimeout is storage.tiers.redis.batchTimeout, the bound of a call
	// on many frames. Default redisdriver.DefaultBatchTimeout.
	BatchTimeout Duration
}

// PostgresConfig is storage.tiers.postgres, tier 3: the PostgreSQL archive,
// with pgdriver.
type PostgresConfig struct {
	// Enabled is storage.tiers.postgres.enabled, under the rules of
	// RedisConfig.Enabled.
	Enabled *bool
	// URL is storage.tiers.postgres.connectionString, like
	// postgres://user:password@host/db (see pgdriver.ParseURL for its
	// parameters). STACKMEMORY_POSTGRES_URL overrides it.
	URL string
	// CompressionLevel is storage.tiers.postgres.compressionLevel, the
	// brotli quality of archived documents: 1 (fastest) to 11 (smallest),
	// 0 to store them uncompressed. nil means pgdriver.DefaultCompression.
	// Frames that reach the archive through Redis keep Redis's compression.
	CompressionLevel *int
	// CompressMin is storage.tiers.postgres.compressMin, the size from
	// which documents are compressed. Default pgdriver.DefaultCompressMin.
	CompressMin ByteSize
	// RetentionDays is storage.tiers.postgres.retentionDays: compaction
	// deletes archived frames created more than this many days ago. 0 (the
	// default) keeps them forever.
	RetentionDays int
	// TombstoneDays is storage.tiers.postgres.tombstoneDays: how long the
	// archive remembers a delete, so that a machine holding a copy of a
	// frame deleted elsewhere drops it instead of writing it back.
	// Default pgdriver.DefaultTombstoneDays (30).
	TombstoneDays int
	// Timeout is storage.tiers.postgres.timeout, the deadline of a call on
	// one frame. Default pgdriver.DefaultTimeout (200ms, the spec's SLA).
	Timeout Duration
	// BatchTimeout is storage.tiers.postgres.batchTimeout, the deadline of
	// a query or a call on many frames. Default
	// pgdriver.DefaultBatchTimeout.
	BatchTimeout Duration
}

// Defaults of the StackMemory spec for the tiers' limits. The drivers'
// settings default to the drivers' own constants.
const (
	DefaultSQLiteMaxSize   = 500 * MB
	DefaultSQLiteMaxFrames = 1000
	DefaultSQLiteMaxAge    = 24 * time.Hour
	DefaultRedisMaxAge     = 7 * 24 * time.Hour
	DefaultRedisMaxSize    = 1 * GB
)

// Default returns the spec's defaults: SQLite alone, LRU eviction,
// background sync every minute, every limit and movement setting filled in.
func Default() Config {
	var c Config
	c.fillDefaults()
	return c
}

// fillDefaults sets the config's own defaults in zero fields. Driver
// settings stay zero: the driver (or the connection string) decides them.
func (c *Config) fillDefaults() {
	if c.Enabled == nil {
		c.Enabled = ptr(true)
	}
	setIfZero(&c.SQLite.MaxSize, DefaultSQLiteMaxSize)
	setIfZero(&c.SQLite.MaxFrames, DefaultSQLiteMaxFrames)
	setIfZero(&c.SQLite.MaxAge, Duration(DefaultSQLiteMaxAge))
	setIfZero(&c.Redis.MaxAge, Duration(DefaultRedisMaxAge))
	setIfZero(&c.Redis.MaxSize, DefaultRedisMaxSize)
	setIfZero(&c.PromotionThreshold, tier.DefaultPromotionThreshold)
	setIfZero(&c.PromotionWindow, Duration(tier.DefaultPromotionWindow))
	setIfZero(&c.BroughtUpShare, tier.DefaultBroughtUpShare)
	setIfZero(&c.EvictionStrategy, tier.LRU)
	if c.BackgroundSync == nil {
		c.BackgroundSync = ptr(true)
	}
	setIfZero(&c.SyncInterval, Duration(tier.DefaultSyncInterval))
	setIfZero(&c.BreakerCooldown, Duration(tier.DefaultBreakerCooldown))
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func ptr[T any](v T) *T { return &v }
