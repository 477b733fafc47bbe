package config

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/stackmemoryai/tier"
)

// Environment variables read by [Load] and [FromEnv]. Only StackMemory's
// own variables touch its stores. The generic REDIS_URL and DATABASE_URL,
// which often belong to another application (on Railway or Heroku, say),
// are read only when EnvUseGenericURLs is true, and then only when the
// STACKMEMORY_ variable of the same tier is unset.
const (
	EnvRedisURL    = "STACKMEMORY_REDIS_URL"
	EnvPostgresURL = "STACKMEMORY_POSTGRES_URL"
	EnvSQLitePath  = "STACKMEMORY_SQLITE_PATH"
	// EnvUseGenericURLs opts into the generic variables: "1" or "true".
	EnvUseGenericURLs     = "STACKMEMORY_USE_GENERIC_URLS"
	EnvGenericRedisURL    = "REDIS_URL"
	EnvGenericPostgresURL = "DATABASE_URL"
)

// source is where a value came from: a field of config.json, an
// environment variable, a command-line flag. Errors about the value name
// it, as long as the value has not been changed since.
type source struct{ value, name string }

// sources remembers the origin of the values that have more than one.
type sources struct{ sqlite, redis, postgres source }

// SetSQLitePath sets SQLite.Path and names from (a flag like "--sqlite")
// in the errors about it.
func (c *Config) SetSQLitePath(path, from string) {
	c.SQLite.Path, c.from.sqlite = path, source{path, from}
}

// SetRedisURL sets Redis.URL and names from (a flag like "--redis") in the
// errors about it. A URL set this way turns the tier on, like one from the
// environment.
func (c *Config) SetRedisURL(url, from string) {
	c.Redis.URL, c.from.redis = url, source{url, from}
	if url != "" {
		c.Redis.Enabled = nil
	}
}

// SetPostgresURL sets Postgres.URL and names from (a flag like
// "--postgres") in the errors about it, under the rules of SetRedisURL.
func (c *Config) SetPostgresURL(url, from string) {
	c.Postgres.URL, c.from.postgres = url, source{url, from}
	if url != "" {
		c.Postgres.Enabled = nil
	}
}

// sqlitePathName names where SQLite.Path came from.
func (c Config) sqlitePathName() string {
	return nameOf(c.from.sqlite, c.SQLite.Path, "Config.SQLite.Path")
}

// redisURLName names where Redis.URL came from.
func (c Config) redisURLName() string {
	return nameOf(c.from.redis, c.Redis.URL, "Config.Redis.URL")
}

// postgresURLName names where Postgres.URL came from.
func (c Config) postgresURLName() string {
	return nameOf(c.from.postgres, c.Postgres.URL, "Config.Postgres.URL")
}

// nameOf returns the recorded origin of value, or the Go field's name
// when the value was set in code.
func nameOf(s source, value, goName string) string {
	if s.name != "" && s.value == value {
		return s.name
	}
	return goName
}

// FromEnv returns c with the environment applied: STACKMEMORY_REDIS_URL,
// STACKMEMORY_POSTGRES_URL and STACKMEMORY_SQLITE_PATH replace the values of
// the file, and a URL turns its tier on. REDIS_URL and DATABASE_URL are used
// in their place only when STACKMEMORY_USE_GENERIC_URLS is "1" or "true".
// Unset or empty variables leave c as it is. The error, wrapping
// tier.ErrBadConfig, names the variable.
func FromEnv(c Config) (Config, error) {
	generic := false
	if v := os.Getenv(EnvUseGenericURLs); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%w: %w", tier.ErrBadConfig, &tier.FieldError{Field: EnvUseGenericURLs,
				Reason: fmt.Sprintf("%s is not 1, true, 0 or false", quote(v))})
		}
		generic = b
	}
	if name, v := lookupEnv(EnvRedisURL, EnvGenericRedisURL, generic); v != "" {
		c.SetRedisURL(v, name)
	}
	if name, v := lookupEnv(EnvPostgresURL, EnvGenericPostgresURL, generic); v != "" {
		c.SetPostgresURL(v, name)
	}
	if v := os.Getenv(EnvSQLitePath); v != "" {
		c.SetSQLitePath(v, EnvSQLitePath)
	}
	return c, nil
}

// lookupEnv returns the variable own, else generic when opted in.
func lookupEnv(own, generic string, useGeneric bool) (name, value string) {
	if v := os.Getenv(own); v != "" {
		return own, v
	}
	if os.Getenv(generic) == "" {
		return "", ""
	}
	if !useGeneric {
		slog.Debug("tier config: ignoring a generic variable (set "+EnvUseGenericURLs+"=1 to use it, or set "+own+")",
			"variable", generic)
		return "", ""
	}
	return generic, os.Getenv(generic)
}
