package config

import "encoding/json"

// legacyKeys are the top-level keys of the flat layout earlier releases
// read (before the spec's `storage` object). Its durations are
// milliseconds, except redis.ttl (seconds); a zero means the default.
var legacyKeys = []string{
	"sqlite", "redis", "postgres",
	"promotionThreshold", "promotionWindow", "evictionStrategy", "backgroundSync",
	"syncInterval", "breakerCooldown", "maxFrameSize", "statePath",
}

// decodeLegacy decodes the flat layout; other top-level keys belong to
// other parts of StackMemory and are left alone.
func decodeLegacy(top map[string]json.RawMessage, errs *[]error) Config {
	var c Config
	t := object{members: top, errs: errs}
	if o, ok := t.child("sqlite", []string{"path", "maxSize", "maxFrames", "maxAge"}); ok {
		if get(o, "path", &c.SQLite.Path, parseText) {
			c.from.sqlite = source{c.SQLite.Path, "sqlite.path"}
		}
		get(o, "maxSize", &c.SQLite.MaxSize, parseSize)
		get(o, "maxFrames", &c.SQLite.MaxFrames, parseCount)
		get(o, "maxAge", &c.SQLite.MaxAge, parseMillis)
	}
	if o, ok := t.child("redis", []string{"url", "ttl", "maxAge", "maxSize", "keyPrefix", "timeout"}); ok {
		if get(o, "url", &c.Redis.URL, parseText) {
			c.from.redis = source{c.Redis.URL, "redis.url"}
		}
		get(o, "ttl", &c.Redis.TTL, parseDuration)
		get(o, "maxAge", &c.Redis.MaxAge, parseMillis)
		get(o, "maxSize", &c.Redis.MaxSize, parseSize)
		get(o, "keyPrefix", &c.Redis.KeyPrefix, parseText)
		get(o, "timeout", &c.Redis.Timeout, parseMillis)
	}
	if o, ok := t.child("postgres", []string{"url", "compressionLevel", "retentionDays", "timeout"}); ok {
		if get(o, "url", &c.Postgres.URL, parseText) {
			c.from.postgres = source{c.Postgres.URL, "postgres.url"}
		}
		var level int
		if get(o, "compressionLevel", &level, parseInt) {
			// The flat layout read 0 as brotli's fastest quality.
			c.Postgres.CompressionLevel = ptr(max(level, 1))
		}
		get(o, "retentionDays", &c.Postgres.RetentionDays, parseInt)
		get(o, "timeout", &c.Postgres.Timeout, parseMillis)
	}
	get(t, "promotionThreshold", &c.PromotionThreshold, parseInt)
	get(t, "promotionWindow", &c.PromotionWindow, parseMillis)
	get(t, "evictionStrategy", &c.EvictionStrategy, parsePolicy)
	get(t, "backgroundSync", &c.BackgroundSync, parseBoolPtr)
	get(t, "syncInterval", &c.SyncInterval, parseMillis)
	get(t, "breakerCooldown", &c.BreakerCooldown, parseMillis)
	get(t, "maxFrameSize", &c.MaxFrameSize, parseSize)
	get(t, "statePath", &c.StatePath, parseText)
	return c
}
