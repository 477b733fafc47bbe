package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
	// Package config opens every tier of the StackMemory spec: SQLite (or
	// an upstream context.db), Redis and PostgreSQL.
	"github.com/stackmemoryai/tier/config"
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
