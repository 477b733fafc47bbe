package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
	// The CLI knows every tier of the StackMemory spec.
	"github.com/stackmemoryai/tier/config"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

// openTimeout bounds connecting to the tiers when a command starts.
const openTimeout = 10 * time.Second

// session is an open Manager and what the command should know about it.
type session struct {
	m   *tier.Manager
	cfg config.Config
	// configFile is the config file that was read (it may not exist).
	configFile string
}

// managed is the prologue every command that works on the frames shares:
// it opens the chain from the config file, the environment and the flags,
// runs fn, prints what fn returns (JSON with --json, text otherwise; also
// beside an error, for partial answers), and closes the chain. The error
// becomes the exit code in run.
//
// Checks of the arguments that need no tier belong in the command's
// PreRunE, so that a usage error connects to nothing.
func (a *app) managed(fn func(ctx context.Context, s *session, args []string) (output, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		defer s.close(a)
		out, err := fn(ctx, s, args)
		if out != nil {
			if perr := a.emit(out); perr != nil && err == nil {
				err = perr
			}
		}
		return err
	}
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

func (s *session) close(a *app) {
	if err := s.m.Close(); err != nil {
		a.log.Debug("close", "err", err)
	}
}

// unreachable returns an error with the unavailable exit code naming the
// tiers that cannot be reached, or nil when every tier is healthy.
func (s *session) unreachable(ctx context.Context) error {
	st, err := s.m.Status(ctx)
	if err != nil {
		return err
	}
	return downError(st.Tiers)
}

// downError is an error with the unavailable exit code naming the tiers
// that cannot be reached, or nil when every tier is healthy.
func downError(tiers []tier.TierStatus) error {
	var down []string
	for _, t := range tiers {
		if !t.Healthy {
			down = append(down, fmt.Sprintf("tier %d (%s) cannot be reached: %s", t.Level, t.Name, t.Error))
		}
	}
	if len(down) == 0 {
		return nil
	}
	return withCode(exitUnavailable, errors.New(strings.Join(down, "; ")))
}

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
	a.secrets = append(a.secrets, passwordOf(redisURLOf(cfg)), passwordOf(postgresURLOf(cfg)))
	if err := cfg.Validate(); err != nil {
		return config.Config{}, path, err
	}
	return cfg, path, nil
}

// The functions below are the only ones that know the fields of
// config.Config.

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

func redisURLOf(cfg config.Config) string    { return cfg.Redis.URL }
func postgresURLOf(cfg config.Config) string { return cfg.Postgres.URL }

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
