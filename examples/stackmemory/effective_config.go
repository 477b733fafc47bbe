package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/stackmemoryai/tier/config"
)

// This file is the only one that knows the fields of config.Config.

// loadConfig builds the effective config: the file (--config, default
// ~/.stackmemory/config.json), then the environment, then the flags. A
// file named with --config must exist; the default one may be missing.
// The CLI is a short-lived process, so background sync is off: commands do
// the work explicitly.
func (a *app) loadConfig() (config.Config, string, error) {
	path := a.configPath
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return config.Config{}, path, withCode(exitConfig, fmt.Errorf("config file %s does not exist", path))
		}
	} else {
		p, err := config.DefaultConfigPath()
		if err != nil {
			return config.Config{}, "", err
		}
		path = p
	}
	cfg, err := config.Load(path)
	if err != nil {
		return config.Config{}, path, err
	}
	if err := a.applyFlags(&cfg); err != nil {
		return config.Config{}, path, err
	}
	a.secrets = append(a.secrets, passwordOf(cfg.Redis.URL), passwordOf(cfg.Postgres.URL))
	if err := cfg.Validate(); err != nil {
		return config.Config{}, path, err
	}
	return cfg, path, nil
}

// applyFlags sets what the global flags say over the file and the
// environment, and turns manual maintenance on.
func (a *app) applyFlags(cfg *config.Config) error {
	if a.sqlitePath != "" {
		p, err := absPath(a.sqlitePath)
		if err != nil {
			return withCode(exitConfig, fmt.Errorf("--sqlite %s: %w", a.sqlitePath, err))
		}
		cfg.SetSQLitePath(p, "--sqlite")
	}
	// A URL given as a flag turns its tier on, as one from the
	// environment does; with tiering off for the whole file it is an
	// error rather than a flag silently ignored.
	for _, f := range []struct {
		flag, url string
		set       func(url, from string)
	}{
		{"--redis", a.redisURL, cfg.SetRedisURL},
		{"--postgres", a.postgresURL, cfg.SetPostgresURL},
	} {
		if f.url == "" {
			continue
		}
		if cfg.Enabled != nil && !*cfg.Enabled {
			return withCode(exitConfig, fmt.Errorf("%s: tiering is off in the config file (storage.enabled is false)", f.flag))
		}
		f.set(f.url, f.flag)
	}
	cfg.BackgroundSync = new(bool)
	cfg.Logger = a.log
	return nil
}

// sqlitePath is the tier 1 file in use, as an absolute path when it is
// a path (relative ones are relative to the working directory, ~/ is the
// home directory).
func sqlitePath(cfg config.Config) string {
	if p := cfg.SQLite.Path; p != "" {
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				return filepath.Join(home, rest)
			}
		}
		if abs, err := absPath(p); err == nil {
			return abs
		}
		return p
	}
	if dir, err := config.DefaultDir(); err == nil {
		return filepath.Join(dir, "frames.db")
	}
	return "~/.stackmemory/frames.db"
}

// absPath resolves a relative file path against the working directory.
// URLs (sqlite://...) and paths from the home directory (~/...) are left
// to the configuration, which knows them.
func absPath(p string) (string, error) {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "~") || filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.Abs(p)
}

// passwordOf returns the password in a URL's user info or its "password"
// parameter, or "".
func passwordOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if p, ok := u.User.Password(); ok {
		return p
	}
	return u.Query().Get("password")
}
