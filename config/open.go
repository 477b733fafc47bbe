package config

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stackmemoryai/tier"
	_ "github.com/stackmemoryai/tier/pgdriver"    // postgres://, postgresql://
	_ "github.com/stackmemoryai/tier/redisdriver" // redis://, rediss://
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// Open opens a Manager over the chain c describes: SQLite, then Redis and
// PostgreSQL when their URLs are set. It validates c first; a bad config
// changes nothing on disk.
func Open(ctx context.Context, c Config) (*tier.Manager, error) {
	tc, err := c.Tier()
	if err != nil {
		return nil, err
	}
	return tier.Open(ctx, tc)
}

// Tier returns the tier.Config of the chain c describes, with c's
// movement settings, for a host that wants to adjust it before tier.Open.
func (c Config) Tier() (tier.Config, error) {
	c.fillDefaults()
	if err := c.Validate(); err != nil {
		return tier.Config{}, err
	}
	specs, err := chainSpecs(c)
	if err != nil {
		return tier.Config{}, err
	}
	statePath, err := statePathFor(c)
	if err != nil {
		return tier.Config{}, err
	}
	return tier.Config{
		Tiers:              specs,
		PromotionThreshold: c.PromotionThreshold,
		PromotionWindow:    time.Duration(c.PromotionWindow),
		EvictionStrategy:   c.EvictionStrategy,
		ManualMaintenance:  !*c.BackgroundSync,
		SyncInterval:       time.Duration(c.SyncInterval),
		BreakerCooldown:    time.Duration(c.BreakerCooldown),
		MaxFrameSize:       int64(c.MaxFrameSize),
		StatePath:          statePath,
		Logger:             c.Logger,
		Hooks:              c.Hooks,
	}, nil
}

// statePathFor picks the state file: StatePath, else tier-state.db beside
// the SQLite file.
func statePathFor(c Config) (string, error) {
	if c.StatePath != "" {
		return expandHome(c.StatePath)
	}
	if c.SQLite.Path != "" {
		p, err := expandHome(c.SQLite.Path)
		return filepath.Join(filepath.Dir(p), "tier-state.db"), err
	}
	dir, err := DefaultDir()
	return filepath.Join(dir, "tier-state.db"), err
}

// expandHome replaces a leading "~/" with the home directory.
func expandHome(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", tier.ErrBadConfig, path, err)
	}
	return filepath.Join(home, rest), nil
}

// chainSpecs turns c into the list of tiers to open.
func chainSpecs(c Config) ([]tier.TierSpec, error) {
	path, err := expandHome(c.SQLite.Path)
	if err != nil {
		return nil, err
	}
	hot := sqlitedriver.Scheme + "://"
	if path != "" {
		hot = (&url.URL{Scheme: sqlitedriver.Scheme, Path: path}).String()
	}
	specs := []tier.TierSpec{{
		Name: "sqlite",
		URL:  hot,
		Limits: tier.Limits{
			MaxFrames: c.SQLite.MaxFrames,
			MaxBytes:  int64(c.SQLite.MaxSize),
			MaxIdle:   time.Duration(c.SQLite.MaxAge),
		},
	}}
	if c.Redis.URL != "" {
		u, err := withParams(c.Redis.URL, map[string]string{
			"prefix": c.Redis.KeyPrefix,
			"ttl":    time.Duration(c.Redis.TTL).String(),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, tier.TierSpec{Name: "redis", URL: u, Timeout: time.Duration(c.Redis.Timeout), Limits: tier.Limits{
			MaxBytes: int64(c.Redis.MaxSize),
			MaxIdle:  time.Duration(c.Redis.MaxAge),
		}})
	}
	if c.Postgres.URL != "" {
		// Brotli quality 0 and 1 are both "fastest"; the driver takes 1-11.
		params := map[string]string{"compression": fmt.Sprint(max(*c.Postgres.CompressionLevel, 1))}
		if c.Postgres.RetentionDays > 0 {
			params["retention_days"] = fmt.Sprint(c.Postgres.RetentionDays)
		}
		u, err := withParams(c.Postgres.URL, params)
		if err != nil {
			return nil, err
		}
		specs = append(specs, tier.TierSpec{Name: "postgres", URL: u, Timeout: time.Duration(c.Postgres.Timeout)})
	}
	return specs, nil
}

// withParams adds query parameters the URL does not set already.
func withParams(raw string, params map[string]string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%w: %q is not a URL with a scheme", tier.ErrBadConfig, tier.Redact(raw))
	}
	q := u.Query()
	for k, v := range params {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
