package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

func TestDefaultConfigHasTheSpecDefaults(t *testing.T) {
	c := config.Default()
	if c.SQLite.MaxFrames != 1000 || c.SQLite.MaxSize != 500*config.MB || time.Duration(c.SQLite.MaxAge) != 24*time.Hour {
		t.Errorf("sqlite defaults = %+v", c.SQLite)
	}
	if time.Duration(c.Redis.TTL) != 24*time.Hour || time.Duration(c.Redis.MaxAge) != 7*24*time.Hour || c.Redis.MaxSize != config.GB {
		t.Errorf("redis defaults = %+v", c.Redis)
	}
	if c.EvictionStrategy != tier.LRU || !*c.BackgroundSync || c.PromotionThreshold < 1 {
		t.Errorf("movement defaults = %v %v %v", c.EvictionStrategy, *c.BackgroundSync, c.PromotionThreshold)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestLoadConfigReadsTheSpecShapeAndEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, `{
		"sqlite": {"maxFrames": 200, "maxSize": "50MB", "maxAge": 3600000},
		"redis": {"url": "redis://file-host:6379/0", "ttl": 3600, "maxAge": "3d"},
		"postgres": {"url": "postgres://u:filepw@file-host/db", "compressionLevel": 9, "retentionDays": 90},
		"promotionThreshold": 5, "evictionStrategy": "LFU", "backgroundSync": false, "syncInterval": 30000
	}`)
	t.Setenv("STACKMEMORY_REDIS_URL", "")
	t.Setenv("REDIS_URL", "redis://env-host:6380/1")
	t.Setenv("STACKMEMORY_POSTGRES_URL", "postgres://u:envpw@env-host/db")
	t.Setenv("DATABASE_URL", "postgres://ignored")
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.SQLite.MaxFrames != 200 || c.SQLite.MaxSize != 50*config.MB || time.Duration(c.SQLite.MaxAge) != time.Hour {
		t.Errorf("sqlite = %+v", c.SQLite)
	}
	if time.Duration(c.Redis.TTL) != time.Hour || time.Duration(c.Redis.MaxAge) != 72*time.Hour {
		t.Errorf("redis = %+v", c.Redis)
	}
	if c.Redis.URL != "redis://env-host:6380/1" || c.Postgres.URL != "postgres://u:envpw@env-host/db" {
		t.Errorf("environment did not win: redis %q postgres %q", c.Redis.URL, tier.Redact(c.Postgres.URL))
	}
	if *c.Postgres.CompressionLevel != 9 || c.Postgres.RetentionDays != 90 || c.PromotionThreshold != 5 ||
		c.EvictionStrategy != tier.LFU || *c.BackgroundSync || time.Duration(c.SyncInterval) != 30*time.Second {
		t.Errorf("config = %s", c)
	}
	if s := c.String(); strings.Contains(s, "envpw") || strings.Contains(s, "filepw") {
		t.Errorf("String() shows a password: %s", s)
	}
}

func TestLoadConfigMissingFileMeansDefaults(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("STACKMEMORY_REDIS_URL", "")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("STACKMEMORY_POSTGRES_URL", "")
	c, err := config.Load(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SQLite.MaxFrames != 1000 || c.Redis.URL != "" {
		t.Fatalf("config without a file = %s", c)
	}
}

func TestBadConfigFilesAreRefusedWithTheirFields(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"not JSON":           {`{"sqlite": `, "line 1"},
		"unknown field":      {`{"sqlite": {"maxFrame": 10}}`, "maxFrame"},
		"trailing data":      {`{} {}`, "after the config"},
		"bad size":           {`{"sqlite": {"maxSize": "lots"}}`, "lots"},
		"bad policy":         {`{"evictionStrategy": "RANDOM"}`, "evictionStrategy"},
		"negative frames":    {`{"sqlite": {"maxFrames": -1}}`, "sqlite.maxFrames"},
		"bad compression":    {`{"postgres": {"compressionLevel": 12}}`, "postgres.compressionLevel"},
		"contradictory age":  {`{"sqlite": {"maxAge": "7d"}, "redis": {"maxAge": "1d"}}`, "redis.maxAge"},
		"url without scheme": {`{"redis": {"url": "localhost:6379"}}`, "redis.url"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			writeFile(t, path, tc.body)
			_, err := config.Load(path)
			if !errors.Is(err, tier.ErrBadConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v; want ErrBadConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	c := config.Config{PromotionThreshold: -1, EvictionStrategy: "MRU", SyncInterval: config.Duration(time.Millisecond)}
	c.SQLite.MaxFrames = -5
	err := c.Validate()
	for _, field := range []string{"promotionThreshold", "evictionStrategy", "syncInterval", "sqlite.maxFrames"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error %v does not name %s", err, field)
		}
	}
	var fe *tier.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("Validate error does not carry a *FieldError")
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	for in, secret := range map[string]string{
		"redis://:s3cret@host:6379/0":       "s3cret",
		"postgres://user:hunter2@db/x":      "hunter2",
		"postgres://db/x?password=p4ss&x=1": "p4ss",
		"host=db user=u password=kv-secret": "kv-secret",
	} {
		if out := tier.Redact(in); strings.Contains(out, secret) {
			t.Errorf("Redact(%q) = %q still shows the password", in, out)
		}
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
