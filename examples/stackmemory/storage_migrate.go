package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

// migrateFlags are the options of `storage migrate`.
type migrateFlags struct {
	level     int
	project   string
	session   string
	olderThan string
	limit     int
	dryRun    bool
}

func (a *app) migrateCommand() *cobra.Command {
	var fl migrateFlags
	var opts tier.MigrateOptions
	cmd := &cobra.Command{
		Use:   "migrate --tier 2|3",
		Short: "Move frames down to a tier now",
		Long: `Move frames from every tier above --tier down to it, now, with the same
crash-safe moves as the background demotion (copy, verify, then delete the
source). Frames moved into a cache tier (Redis with a TTL) are also written
through to the durable tier below it.

Filters narrow the frames moved; --dry-run counts them and moves nothing.
A progress bar shows on a terminal, plain lines otherwise (on stderr).`,
		Example: `  stackmemory storage migrate --tier 2
  stackmemory storage migrate --tier 3 --project web --older-than 7d
  stackmemory storage migrate --tier 3 --session 0190f5c2-0000-7000-8000-000000000001 --dry-run --json`,
		Args: args(cobra.NoArgs),
		PreRunE: func(*cobra.Command, []string) (err error) {
			opts, err = fl.options()
			return err
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			if err := s.unreachable(ctx); err != nil {
				return nil, fmt.Errorf("migrate needs every tier: %w", err)
			}
			if n := s.m.Levels(); opts.ToLevel > n {
				return nil, usageErrorf("--tier %d: the configured chain has %s; configure Redis (tier 2) and PostgreSQL (tier 3) with --redis/--postgres, the environment or the config file", opts.ToLevel, count(n, "tier"))
			}
			total := -1
			if !opts.DryRun {
				// Count first, so that the progress has a total.
				plan := opts
				plan.DryRun = true
				if rep, err := s.m.Migrate(ctx, plan); err == nil {
					total = rep.Selected
				}
			}
			bar := a.newProgress(fmt.Sprintf("migrate to tier %d", opts.ToLevel), "frames", int64(total), false)
			opts.Progress = func(done, _ int) { bar.set(int64(done)) }
			rep, err := s.m.Migrate(ctx, opts)
			bar.finish()
			if err != nil {
				return nil, err
			}
			return migrateReport(rep), nil
		}),
	}
	f := cmd.Flags()
	f.IntVar(&fl.level, "tier", 0, "tier to move frames down to: 2 (Redis) or 3 (PostgreSQL) (required)")
	f.StringVar(&fl.project, "project", "", "only frames of this project")
	f.StringVar(&fl.session, "session", "", "only frames of this session (UUID)")
	f.StringVar(&fl.olderThan, "older-than", "", "only frames created longer ago than this, like 24h or 7d")
	f.IntVar(&fl.limit, "limit", 0, "move at most this many frames (0: no limit)")
	f.BoolVar(&fl.dryRun, "dry-run", false, "count the frames that would move, move nothing")
	return cmd
}

// options checks the flags and turns them into MigrateOptions.
func (fl migrateFlags) options() (tier.MigrateOptions, error) {
	opts := tier.MigrateOptions{ToLevel: fl.level, ProjectID: fl.project, SessionID: fl.session, Limit: fl.limit, DryRun: fl.dryRun}
	if fl.level == 0 {
		return opts, usageErrorf("--tier is required: 2 (Redis) or 3 (PostgreSQL)")
	}
	if fl.level < 2 {
		return opts, usageErrorf("--tier %d: frames can only move down, to tier 2 or 3", fl.level)
	}
	if err := checkLimit(fl.limit, 0); err != nil {
		return opts, err
	}
	if err := parseIDFlag("--session", &opts.SessionID); err != nil {
		return opts, err
	}
	if fl.olderThan != "" {
		d, err := parseAge("--older-than", fl.olderThan)
		if err != nil {
			return opts, err
		}
		opts.OlderThan = d
	}
	return opts, nil
}

// migrateReport is the output of `storage migrate`.
type migrateReport tier.MigrateReport

func (rep migrateReport) text(a *app) {
	if rep.DryRun {
		a.printf("dry run: %s would move to tier %d\n", count(rep.Selected, "frame"), rep.ToLevel)
	} else {
		a.printf("moved %s to tier %d (%d selected, %d skipped)\n", count(rep.Moved, "frame"), rep.ToLevel, rep.Selected, rep.Skipped)
	}
	names := make([]string, 0, len(rep.ByTier))
	for n := range rep.ByTier {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a.printf("  from %s: %d\n", n, rep.ByTier[n])
	}
	if rep.Skipped > 0 {
		a.printf("skipped frames changed or were deleted during the move, or could not be verified; they stay where they were\n")
	}
}
