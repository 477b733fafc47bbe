// Package config is StackMemory's storage configuration: the spec's
// TierConfig, read from the `storage` key of ~/.stackmemory/config.json and
// the environment, turned into a chain of the standard drivers (sqlitedriver
// or contextdb, redisdriver, pgdriver). It is the one place that knows those
// drivers' settings; [Open] needs no other import.
//
//	cfg, err := config.Load("") // ~/.stackmemory/config.json, then the environment
//	m, err := config.Open(ctx, cfg)
//
// # The file
//
// config.json is shared by every part of StackMemory. This package reads
// its `storage` object and ignores the other top-level keys ("auth",
// "version", "projects" ...); it never writes the file. Every field is
// optional:
//
//	{
//	  "version": "1.0", "auth": {...},
//	  "storage": {
//	    "enabled": true,
//	    "tiers": {
//	      "sqlite":   {"maxSize": "500MB", "maxFrames": 1000, "maxAge": 86400,
//	                   "path": "~/.stackmemory/frames.db"},
//	      "redis":    {"enabled": true, "connectionString": "redis://localhost:6379/0",
//	                   "ttl": 86400, "maxSize": "1GB", "maxAge": "7d", "keyPrefix": "sm:"},
//	      "postgres": {"enabled": true, "connectionString": "postgres://me@db/stackmemory",
//	                   "compressionLevel": 5, "retentionDays": 365}
//	    },
//	    "policies": {"promotionThreshold": 3, "evictionStrategy": "LRU",
//	                 "backgroundSync": true, "syncInterval": 60}
//	  }
//	}
//
// The spec's fields are enabled; tiers.sqlite {maxSize, maxFrames, maxAge};
// tiers.redis {enabled, connectionString, ttl, maxSize};
// tiers.postgres {enabled, connectionString, compressionLevel,
// retentionDays}; policies {promotionThreshold, evictionStrategy,
// backgroundSync, syncInterval}. Beside them: storage.breakerCooldown,
// maxFrameSize, statePath; tiers.sqlite.path, busyTimeout;
// tiers.redis.maxAge, maxFrames, keyPrefix, durable, timeout, batchTimeout;
// tiers.postgres.compressMin, tombstoneDays, timeout, batchTimeout; policies.promotionWindow,
// promotion, prefetch, broughtUpShare. Each is documented on the [Config]
// field that holds it, with its default.
//
// Sizes are bytes or strings with a unit ("500MB", "64KiB"); durations are
// seconds, as in the spec, or strings with a unit ("50ms", "24h", "7d").
// A tier's limit (maxSize, maxFrames, maxAge) of 0 means no limit.
// evictionStrategy is LRU, LFU or AGE in any case. compressionLevel 0 stores
// documents uncompressed. A field also set by a parameter of its connection
// string (keyPrefix and ?prefix=) is refused: keep one.
//
// An unknown key inside `storage` is refused with its path
// (storage.tiers.sqlite.maxFrame: unknown field; did you mean "maxFrames"?),
// and every bad value with its field path. Errors wrap tier.ErrBadConfig.
//
// A file without `storage` but with the flat layout of earlier releases
// (top-level "sqlite", "redis", "postgres", "syncInterval" ..., durations in
// milliseconds) is still read, with a warning; a file with both is refused.
//
// # The environment
//
// STACKMEMORY_REDIS_URL, STACKMEMORY_POSTGRES_URL and STACKMEMORY_SQLITE_PATH
// win over the file; a URL turns its tier on. The generic REDIS_URL and
// DATABASE_URL, which usually belong to another application, are read only
// with STACKMEMORY_USE_GENERIC_URLS=1. On Railway, where the plugins set
// them, that variable is the one line to add:
//
//	STACKMEMORY_USE_GENERIC_URLS=1
//
// (or reference the plugin's variable under our name:
// STACKMEMORY_POSTGRES_URL=${{Postgres.DATABASE_URL}}). An error about a
// value from the environment names the variable, not config.json.
//
// # Tier 1
//
// tiers.sqlite.path (or STACKMEMORY_SQLITE_PATH) is a path, relative to the
// working directory or starting with ~/, or a sqlite: URL. A path naming
// an upstream StackMemory context.db (a project's .stackmemory/context.db)
// tiers that file in place with package contextdb: upstream keeps working on
// it. Any other path is a SQLite file of sqlitedriver, created when missing.
// The manager's state file is tier-state.db beside it, unless
// storage.statePath says otherwise.
package config
