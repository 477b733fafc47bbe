package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/pgdriver"
	"github.com/stackmemoryai/tier/redisdriver"
)

// The drivers' settings of the file reach the drivers' Options.
func TestDriverSettingsReachTheDriversOptions(t *testing.T) {
	c, err := Parse(strings.NewReader(`{"storage": {"tiers": {
		"sqlite": {"path": "/data/frames.db", "busyTimeout": "2s"},
		"redis": {"connectionString": "redis://127.0.0.1:6379/3", "ttl": 7200, "keyPrefix": "cfg:", "durable": false,
		          "timeout": "80ms", "batchTimeout": 3},
		"postgres": {"connectionString": "postgres://u@127.0.0.1/db?sslmode=disable", "compressionLevel": 9,
		             "compressMin": "1KiB", "retentionDays": 90, "tombstoneDays": 60, "timeout": 0.5, "batchTimeout": "20s"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := c.plan()
	if err != nil {
		t.Fatal(err)
	}
	if h := pl.hot.opts; h.Path != "/data/frames.db" || h.BusyTimeout != 2*time.Second {
		t.Errorf("sqlite options = %+v", h)
	}
	r := pl.redis.opts
	if r.TTL != 2*time.Hour || r.Prefix != "cfg:" || r.Durable || r.Timeout != 80*time.Millisecond || r.BatchTimeout != 3*time.Second ||
		r.ClientOption.SelectDB != 3 {
		t.Errorf("redis options = %+v", r)
	}
	g := pl.postgres.opts
	if g.Compression != 9 || g.CompressMin != 1024 || g.RetentionDays != 90 || g.TombstoneDays != 60 || g.Timeout != 500*time.Millisecond ||
		g.BatchTimeout != 20*time.Second || g.Pool.ConnConfig.Database != "db" {
		t.Errorf("postgres options = %+v", g)
	}

	c.Redis.Durable, c.Redis.TTL = true, 0
	zero := 0
	c.Postgres.CompressionLevel = &zero
	if pl, err = c.plan(); err != nil {
		t.Fatal(err)
	}
	if !pl.redis.opts.Durable || pl.postgres.opts.Compression != pgdriver.NoCompression {
		t.Errorf("durable %v, compression %d; want a durable Redis and no compression", pl.redis.opts.Durable, pl.postgres.opts.Compression)
	}
}

// Unset settings are the drivers' own defaults, or the connection
// string's parameters.
func TestUnsetSettingsAreTheDriversDefaults(t *testing.T) {
	c := Default()
	c.Redis.URL = "redis://127.0.0.1:6379/0"
	c.Postgres.URL = "postgres://127.0.0.1/db?compression=3&timeout=1s"
	pl, err := c.plan()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := redisdriver.ParseURL(c.Redis.URL)
	r := pl.redis.opts
	if r.TTL != want.TTL || r.Prefix != want.Prefix || r.Timeout != want.Timeout || r.BatchTimeout != want.BatchTimeout || r.Durable {
		t.Errorf("redis options = %+v, want the driver's defaults %+v", r, want)
	}
	if g := pl.postgres.opts; g.Compression != 3 || g.Timeout != time.Second || g.CompressMin != 0 && g.CompressMin != pgdriver.DefaultCompressMin {
		t.Errorf("postgres options = %+v, want the URL's parameters and the driver's defaults", g)
	}
}
