package config

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier"
)

// The spec's layout, for MarshalJSON. Zero fields (defaults) are left out;
// NoLimit is written 0.
type (
	storageJSON struct {
		Enabled         *bool        `json:"enabled,omitempty"`
		Tiers           tiersJSON    `json:"tiers"`
		Policies        policiesJSON `json:"policies"`
		BreakerCooldown Duration     `json:"breakerCooldown,omitempty"`
		MaxFrameSize    ByteSize     `json:"maxFrameSize,omitempty"`
		StatePath       string       `json:"statePath,omitempty"`
	}
	tiersJSON struct {
		SQLite   sqliteJSON    `json:"sqlite"`
		Redis    *redisJSON    `json:"redis,omitempty"`
		Postgres *postgresJSON `json:"postgres,omitempty"`
	}
	sqliteJSON struct {
		Path        string   `json:"path,omitempty"`
		MaxSize     ByteSize `json:"maxSize,omitempty"`
		MaxFrames   *int64   `json:"maxFrames,omitempty"`
		MaxAge      Duration `json:"maxAge,omitempty"`
		BusyTimeout Duration `json:"busyTimeout,omitempty"`
	}
	redisJSON struct {
		Enabled          *bool    `json:"enabled,omitempty"`
		ConnectionString string   `json:"connectionString,omitempty"`
		TTL              Duration `json:"ttl,omitempty"`
		MaxSize          ByteSize `json:"maxSize,omitempty"`
		MaxFrames        *int64   `json:"maxFrames,omitempty"`
		MaxAge           Duration `json:"maxAge,omitempty"`
		KeyPrefix        string   `json:"keyPrefix,omitempty"`
		Durable          bool     `json:"durable,omitempty"`
		Timeout          Duration `json:"timeout,omitempty"`
		BatchTimeout     Duration `json:"batchTimeout,omitempty"`
	}
	postgresJSON struct {
		Enabled          *bool    `json:"enabled,omitempty"`
		ConnectionString string   `json:"connectionString,omitempty"`
		CompressionLevel *int     `json:"compressionLevel,omitempty"`
		CompressMin      ByteSize `json:"compressMin,omitempty"`
		RetentionDays    int      `json:"retentionDays,omitempty"`
		TombstoneDays    int      `json:"tombstoneDays,omitempty"`
		Timeout          Duration `json:"timeout,omitempty"`
		BatchTimeout     Duration `json:"batchTimeout,omitempty"`
	}
	policiesJSON struct {
		PromotionThreshold int         `json:"promotionThreshold,omitempty"`
		PromotionWindow    Duration    `json:"promotionWindow,omitempty"`
		EvictionStrategy   tier.Policy `json:"evictionStrategy,omitempty"`
		BackgroundSync     *bool       `json:"backgroundSync,omitempty"`
		SyncInterval       Duration    `json:"syncInterval,omitempty"`
		Promotion          *bool       `json:"promotion,omitempty"`
		Prefetch           *bool       `json:"prefetch,omitempty"`
		BroughtUpShare     float64     `json:"broughtUpShare,omitempty"`
	}
)

// MarshalJSON writes c as the `storage` object of config.json, in the
// spec's layout, with passwords as they are: print [Config.String] or
// marshal [Config.Redacted] instead. Parse reads the result back.
func (c Config) MarshalJSON() ([]byte, error) {
	s := storageJSON{
		Enabled:         c.Enabled,
		BreakerCooldown: c.BreakerCooldown,
		MaxFrameSize:    c.MaxFrameSize,
		StatePath:       c.StatePath,
		Tiers: tiersJSON{SQLite: sqliteJSON{
			Path:        c.SQLite.Path,
			MaxSize:     c.SQLite.MaxSize,
			MaxFrames:   count(c.SQLite.MaxFrames),
			MaxAge:      c.SQLite.MaxAge,
			BusyTimeout: c.SQLite.BusyTimeout,
		}},
		Policies: policiesJSON{
			PromotionThreshold: c.PromotionThreshold,
			PromotionWindow:    c.PromotionWindow,
			EvictionStrategy:   c.EvictionStrategy,
			BackgroundSync:     c.BackgroundSync,
			SyncInterval:       c.SyncInterval,
			Promotion:          off(c.NoPromotion),
			Prefetch:           off(c.NoPrefetch),
			BroughtUpShare:     c.BroughtUpShare,
		},
	}
	if r := c.Redis; r != (RedisConfig{}) {
		s.Tiers.Redis = &redisJSON{
			Enabled: r.Enabled, ConnectionString: r.URL, TTL: r.TTL, MaxSize: r.MaxSize,
			MaxFrames: count(r.MaxFrames), MaxAge: r.MaxAge, KeyPrefix: r.KeyPrefix, Durable: r.Durable,
			Timeout: r.Timeout, BatchTimeout: r.BatchTimeout,
		}
	}
	if g := c.Postgres; g != (PostgresConfig{}) {
		s.Tiers.Postgres = &postgresJSON{
			Enabled: g.Enabled, ConnectionString: g.URL, CompressionLevel: g.CompressionLevel,
			CompressMin: g.CompressMin, RetentionDays: g.RetentionDays, TombstoneDays: g.TombstoneDays, Timeout: g.Timeout, BatchTimeout: g.BatchTimeout,
		}
	}
	return json.Marshal(s)
}

// count writes a frame count: nil for the default, 0 for NoLimit.
func count(n int64) *int64 {
	switch n {
	case 0:
		return nil
	case NoLimit:
		return ptr(int64(0))
	}
	return &n
}

// off writes a switch that is on by default: nil when on, false when off.
func off(no bool) *bool {
	if no {
		return ptr(false)
	}
	return nil
}

// UnmarshalJSON reads a `storage` object of config.json (not the whole
// file: see [Parse]) under the rules of Parse.
func (c *Config) UnmarshalJSON(data []byte) error {
	var errs []error
	v := decodeStorage(data, &errs)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", tier.ErrBadConfig, errors.Join(errs...))
	}
	v.Logger, v.Hooks = c.Logger, c.Hooks
	*c = v
	return nil
}

// Redacted returns a copy of c that is safe to print: passwords in the
// connection strings are replaced by "xxxxx".
func (c Config) Redacted() Config {
	redact := func(url *string, s *source) {
		if *url == "" {
			return
		}
		same := s.value == *url
		*url = tier.Redact(*url)
		if same {
			s.value = *url
		}
	}
	redact(&c.Redis.URL, &c.from.redis)
	redact(&c.Postgres.URL, &c.from.postgres)
	return c
}

// String prints c as the `storage` object of config.json with passwords
// redacted, so a Config can be logged safely.
func (c Config) String() string {
	b, err := json.Marshal(c.Redacted())
	if err != nil {
		return "config.Config{?}"
	}
	return string(b)
}
