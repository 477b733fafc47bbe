package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/pgdriver"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// plan is a validated Config turned into the options each driver opens
// its tier with: the one place that knows the standard drivers' settings.
type plan struct {
	c         Config // defaults filled, policy normalized
	hot       hotPlan
	redis     *redisPlan // nil when the tier is off
	postgres  *postgresPlan
	statePath string
}

// hotPlan opens tier 1: a SQLite file, or an upstream context.db.
type hotPlan struct {
	opts      sqlitedriver.Options // Path absolute
	contextDB bool                 // the path is a contextdb: URL
	from      string
	raw       string // what the user wrote
}

type redisPlan struct {
	opts      redisdriver.Options
	scheme    string
	from, raw string
	limits    tier.Limits
}

type postgresPlan struct {
	opts      pgdriver.Options
	from, raw string
}

// plan validates c and builds the drivers' options. It reads no file and
// connects to nothing.
func (c Config) plan() (plan, error) {
	c.fillDefaults()
	var p problems
	c.checkValues(&p)
	if policy, err := tier.ParsePolicy(string(c.EvictionStrategy)); err == nil {
		c.EvictionStrategy = policy
	}
	pl := plan{c: c}
	pl.hot = c.hotPlan(&p)
	if pl.hot.opts.Path != "" {
		pl.statePath = filepath.Join(filepath.Dir(pl.hot.opts.Path), "tier-state.db")
	}
	if c.StatePath != "" {
		path, err := resolvePath(c.StatePath)
		if err != nil {
			p.add("storage.statePath", "%s: %v", quote(c.StatePath), err)
		}
		pl.statePath = path
	}
	on := *c.Enabled
	if tierOn(on, c.Redis.Enabled, c.Redis.URL, "storage.tiers.redis", EnvRedisURL, &p) {
		pl.redis = c.redisPlan(&p)
	}
	if tierOn(on, c.Postgres.Enabled, c.Postgres.URL, "storage.tiers.postgres", EnvPostgresURL, &p) {
		pl.postgres = c.postgresPlan(&p)
	}
	c.checkFrameSize(&p, pl.redis != nil, pl.postgres != nil)
	return pl, p.err()
}

// tierOn says whether a tier below the first is in the chain, and refuses
// one enabled without a connection string.
func tierOn(storageOn bool, enabled *bool, url, path, env string, p *problems) bool {
	switch {
	case !storageOn:
		return false
	case enabled == nil:
		return url != ""
	case *enabled && url == "":
		p.add(path+".connectionString", "required when %s.enabled is true (or set %s)", path, env)
		return false
	}
	return *enabled
}

// hotPlan resolves tier 1's file: a path (relative to the working
// directory, or ~/...), a sqlite: URL or a contextdb: URL.
func (c Config) hotPlan(p *problems) hotPlan {
	h := hotPlan{from: c.sqlitePathName(), raw: c.SQLite.Path}
	var err error
	var params url.Values
	switch raw := c.SQLite.Path; {
	case raw == "":
		h.opts.Path, err = sqlitedriver.DefaultPath()
	case strings.HasPrefix(raw, sqlitedriver.Scheme+":"):
		h.opts, err = sqlitedriver.ParseURL(raw)
		params = queryOf(raw)
	case strings.HasPrefix(raw, contextdb.Scheme+":"):
		var o contextdb.Options
		o, err = contextdb.ParseURL(raw)
		h.opts, h.contextDB = sqlitedriver.Options{Path: o.Path, BusyTimeout: o.BusyTimeout, MaxConns: o.MaxConns}, true
		params = queryOf(raw)
	default:
		h.opts.Path = raw
	}
	if err == nil {
		h.opts.Path, err = resolvePath(h.opts.Path)
	}
	if err != nil {
		p.addCause(h.from, c.SQLite.Path, err)
		return hotPlan{}
	}
	if h.raw == "" {
		h.from, h.raw = "the default SQLite file", h.opts.Path
	}
	if c.SQLite.BusyTimeout != 0 {
		if params.Has("busy_timeout") {
			p.add("storage.tiers.sqlite.busyTimeout", "%s sets busy_timeout too: keep one", h.from)
		}
		h.opts.BusyTimeout = time.Duration(c.SQLite.BusyTimeout)
	}
	return h
}

// resolvePath expands a leading ~/ and makes path absolute against the
// working directory.
func resolvePath(path string) (string, error) {
	if path == "~" || strings.HasPrefix(path, "~/") || strings.HasPrefix(path, `~\`) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory to expand ~ in: %v", err)
		}
		path = filepath.Join(home, path[1:])
	} else if strings.HasPrefix(path, "~") {
		return "", fmt.Errorf("only ~/ is expanded (the current user's home directory)")
	}
	return filepath.Abs(path)
}

// queryOf returns the parameters of a URL, or none when it has none or
// does not parse (its driver reports that).
func queryOf(raw string) url.Values {
	u, err := url.Parse(raw)
	if err != nil {
		return url.Values{}
	}
	return u.Query()
}

// redisPlan parses the connection string with redisdriver.ParseURL and
// applies the fields set beside it; a field and a parameter of the URL
// setting the same thing are refused.
func (c Config) redisPlan(p *problems) *redisPlan {
	r := &redisPlan{from: c.redisURLName(), raw: c.Redis.URL}
	opts, err := redisdriver.ParseURL(c.Redis.URL)
	if err != nil {
		p.addCause(r.from, c.Redis.URL, err)
		return nil
	}
	params := queryOf(c.Redis.URL)
	set := func(field, param string, isSet bool, apply func()) {
		if !isSet {
			return
		}
		if params.Has(param) {
			p.add("storage.tiers.redis."+field, "%s sets %s= too: keep one", r.from, param)
		}
		apply()
	}
	rc := c.Redis
	set("keyPrefix", "prefix", rc.KeyPrefix != "", func() { opts.Prefix = rc.KeyPrefix })
	set("ttl", "ttl", rc.TTL != 0, func() { opts.TTL = time.Duration(rc.TTL) })
	set("durable", "durable", rc.Durable, func() { opts.Durable = true })
	set("timeout", "timeout", rc.Timeout != 0, func() { opts.Timeout = time.Duration(rc.Timeout) })
	set("batchTimeout", "batch_timeout", rc.BatchTimeout != 0, func() { opts.BatchTimeout = time.Duration(rc.BatchTimeout) })
	r.opts = opts
	r.scheme, _, _ = strings.Cut(c.Redis.URL, ":")
	r.limits = tier.Limits{MaxFrames: limitOf(rc.MaxFrames), MaxBytes: limitOf(int64(rc.MaxSize)), MaxIdle: time.Duration(limitOf(int64(rc.MaxAge)))}
	return r
}

// postgresPlan parses the connection string with pgdriver.ParseURL and
// applies the fields set beside it, under the rules of redisPlan.
func (c Config) postgresPlan(p *problems) *postgresPlan {
	g := &postgresPlan{from: c.postgresURLName(), raw: c.Postgres.URL}
	opts, err := pgdriver.ParseURL(c.Postgres.URL)
	if err != nil {
		p.addCause(g.from, c.Postgres.URL, err)
		return nil
	}
	params := queryOf(c.Postgres.URL)
	set := func(field, param string, isSet bool, apply func()) {
		if !isSet {
			return
		}
		if params.Has(param) {
			p.add("storage.tiers.postgres."+field, "%s sets %s= too: keep one", g.from, param)
		}
		apply()
	}
	pc := c.Postgres
	set("compressionLevel", "compression", pc.CompressionLevel != nil, func() {
		opts.Compression = *pc.CompressionLevel
		if opts.Compression == 0 {
			opts.Compression = pgdriver.NoCompression
		}
	})
	set("compressMin", "compress_min", pc.CompressMin != 0, func() { opts.CompressMin = int(pc.CompressMin) })
	set("retentionDays", "retention_days", pc.RetentionDays != 0, func() { opts.RetentionDays = pc.RetentionDays })
	set("tombstoneDays", "tombstone_days", pc.TombstoneDays != 0, func() { opts.TombstoneDays = pc.TombstoneDays })
	set("timeout", "timeout", pc.Timeout != 0, func() { opts.Timeout = time.Duration(pc.Timeout) })
	set("batchTimeout", "batch_timeout", pc.BatchTimeout != 0, func() { opts.BatchTimeout = time.Duration(pc.BatchTimeout) })
	g.opts = opts
	return g
}

// limitOf turns a limit of the config into one of tier.Limits, where 0
// means none.
func limitOf(v int64) int64 {
	if v == NoLimit {
		return 0
	}
	return v
}
