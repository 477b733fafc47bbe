package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	"github.com/stackmemoryai/tier/driver"
)

// chainOf returns the names of the tiers c opens, in order.
func chainOf(t *testing.T, c config.Config) string {
	t.Helper()
	tc, err := c.Tier()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range tc.Tiers {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

func TestOwnVariablesWinOverTheFileAndTurnTiersOn(t *testing.T) {
	clearEnv(t)
	t.Setenv(config.EnvRedisURL, "redis://env-host:6380/1")
	t.Setenv(config.EnvPostgresURL, "postgres://u:envpw@env-host/db")
	t.Setenv(config.EnvSQLitePath, "/env/frames.db")
	c, err := loadString(t, `{"storage": {"tiers": {
		"sqlite": {"path": "/file/frames.db"},
		"redis": {"enabled": false, "connectionString": "redis://file-host:6379/0"},
		"postgres": {"connectionString": "postgres://u:filepw@file-host/db"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "redis://env-host:6380/1" || c.Postgres.URL != "postgres://u:envpw@env-host/db" || c.SQLite.Path != "/env/frames.db" {
		t.Errorf("the environment did not win: %s", c)
	}
	if got := chainOf(t, c); got != "sqlite,redis,postgres" {
		t.Errorf("chain = %s; a URL from the environment turns its tier on", got)
	}
}

func TestGenericVariablesAreReadOnlyWhenOptedIn(t *testing.T) {
	clearEnv(t)
	t.Setenv(config.EnvGenericRedisURL, "redis://someone-elses:6379/0")
	t.Setenv(config.EnvGenericPostgresURL, "postgres://someone@elses/app")
	c, err := loadString(t, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := chainOf(t, c); got != "sqlite" {
		t.Errorf("without opting in, REDIS_URL and DATABASE_URL made the chain %s", got)
	}

	for _, v := range []string{"1", "true", "TRUE"} {
		t.Setenv(config.EnvUseGenericURLs, v)
		c, err = loadString(t, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if got := chainOf(t, c); got != "sqlite,redis,postgres" || c.Postgres.URL != "postgres://someone@elses/app" {
			t.Errorf("%s=%s: chain %s, postgres %q", config.EnvUseGenericURLs, v, got, c.Postgres.URL)
		}
	}

	t.Setenv(config.EnvPostgresURL, "postgres://ours@db/stackmemory")
	if c, err = loadString(t, `{}`); err != nil || c.Postgres.URL != "postgres://ours@db/stackmemory" {
		t.Errorf("with both set, postgres = %q, %v; want STACKMEMORY_POSTGRES_URL", c.Postgres.URL, err)
	}

	t.Setenv(config.EnvUseGenericURLs, "0")
	if c, err = loadString(t, `{}`); err != nil || c.Redis.URL != "" {
		t.Errorf("%s=0: redis = %q, %v", config.EnvUseGenericURLs, c.Redis.URL, err)
	}
	t.Setenv(config.EnvUseGenericURLs, "yes please")
	if _, err = loadString(t, `{}`); !errors.Is(err, tier.ErrBadConfig) || fieldOf(err) != config.EnvUseGenericURLs {
		t.Errorf("a bad %s: %v", config.EnvUseGenericURLs, err)
	}
}

func TestABadURLFromTheEnvironmentIsBlamedOnTheVariable(t *testing.T) {
	for _, tc := range []struct {
		vars  map[string]string
		field string
	}{
		{map[string]string{config.EnvRedisURL: "redis://:envpw@127.0.0.1:6379/0?bogus=1"}, config.EnvRedisURL},
		{map[string]string{config.EnvPostgresURL: "postgres://u:envpw@127.0.0.1/db?bogus=1"}, config.EnvPostgresURL},
		{map[string]string{config.EnvSQLitePath: "sqlite:envpw.db?bogus=1"}, config.EnvSQLitePath},
		{map[string]string{config.EnvUseGenericURLs: "1", config.EnvGenericRedisURL: "redis://:envpw@127.0.0.1:6379/0?bogus=1"}, config.EnvGenericRedisURL},
	} {
		clearEnv(t)
		for k, v := range tc.vars {
			t.Setenv(k, v)
		}
		_, err := loadString(t, `{"storage": {"tiers": {"redis": {"connectionString": "redis://127.0.0.1:6379/0"},
			"postgres": {"connectionString": "postgres://127.0.0.1/db"}}}}`)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if !errors.Is(err, tier.ErrBadConfig) || !errors.Is(err, driver.ErrBadDSN) || fieldOf(err) != tc.field {
			t.Errorf("%v: Load = %v; want ErrBadConfig and ErrBadDSN naming %s", tc.vars, err, tc.field)
		}
		if strings.Contains(msg, "config.json") || strings.Contains(msg, "storage.tiers") {
			t.Errorf("%v: the environment's error is blamed on the file: %s", tc.vars, msg)
		}
		if strings.Contains(msg, "envpw") && tc.field != config.EnvSQLitePath {
			t.Errorf("%v: the error shows the password: %s", tc.vars, msg)
		}
		for _, param := range []string{"ttl=", "prefix=", "compression=", "retention_days="} {
			if strings.Contains(msg, param) {
				t.Errorf("%v: the error shows a parameter the user did not write (%s): %s", tc.vars, param, msg)
			}
		}
	}
}

func TestAURLSetByAFlagIsBlamedOnTheFlag(t *testing.T) {
	c := config.Default()
	c.SetRedisURL("redis://:pw@127.0.0.1:6379/0?bogus=1", "--redis")
	err := c.Validate()
	if !errors.Is(err, tier.ErrBadConfig) || fieldOf(err) != "--redis" || strings.Contains(err.Error(), ":pw@") {
		t.Errorf("Validate = %v; want ErrBadConfig naming --redis, password redacted", err)
	}
	c.Redis.URL = "redis://127.0.0.1:6379/0?also=bad" // changed in code since
	if err := c.Validate(); fieldOf(err) != "Config.Redis.URL" {
		t.Errorf("Validate = %v; want it to name Config.Redis.URL", err)
	}
}
