package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/stackmemoryai/tier"
	// The CLI knows every tier of the StackMemory spec.
	"github.com/stackmemoryai/tier/config"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

// openTimeout bounds connecting to the tiers when a command starts.
const openTimeout = 10 * time.Second

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
	if a.sqlitePath != "" {
		cfg.SQLite.Path = a.sqlitePath
	}
	if a.redisURL != "" {
		cfg.Redis.URL = a.redisURL
	}
	if a.postgresURL != "" {
		cfg.Postgres.URL = a.postgresURL
	}
	cfg.BackgroundSync = new(bool)
	cfg.Logger = a.log
	a.secrets = append(a.secrets, passwordOf(cfg.Redis.URL), passwordOf(cfg.Postgres.URL))
	if err := cfg.Validate(); err != nil {
		return config.Config{}, path, err
	}
	return cfg, path, nil
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

// session is an open Manager and what the command should know about it.
type session struct {
	m   *tier.Manager
	cfg config.Config
	// configFile is the config file that was read (it may not exist).
	configFile string
}

func (s *session) close(a *app) {
	if err := s.m.Close(); err != nil {
		a.log.Debug("close", "err", err)
	}
}

// requireHealthy fails with the unavailable exit code when a tier cannot
// be reached: for commands that need every tier.
func (s *session) requireHealthy(ctx context.Context, what string) error {
	st, err := s.m.Status(ctx)
	if err != nil {
		return err
	}
	for _, t := range st.Tiers {
		if !t.Healthy {
			return withCode(exitUnavailable, fmt.Errorf("%s needs every tier, but tier %d (%s) cannot be reached: %s",
				what, t.Level, t.Name, t.Error))
		}
	}
	return nil
}

// open loads the config and opens the chain. A lower tier that cannot be
// reached does not stop it: the library then runs in local-only mode, where
// writes land in tier 1 and reads of frames outside tier 1 fail as
// unavailable.
func (a *app) open(ctx context.Context) (*session, error) {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	m, err := config.Open(octx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("open the tiers: %w", err)
	}
	return &session{m: m, cfg: cfg, configFile: path}, nil
}
