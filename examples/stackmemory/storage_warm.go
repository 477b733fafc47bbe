package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) warmCommand() *cobra.Command {
	var opts tier.WarmOptions
	cmd := &cobra.Command{
		Use:   "warm --session S | --project P",
		Short: "Bring a session's or project's frames back to tier 1",
		Long: `Copy the frames of a session or a project from the lower tiers back up to
tier 1, so that an agent resuming work reads them locally. The lower
durable copies stay.`,
		Example: `  stackmemory storage warm --session 0190f5c2-0000-7000-8000-000000000001
  stackmemory storage warm --project web --limit 200`,
		Args: args(cobra.NoArgs),
		PreRunE: func(*cobra.Command, []string) error {
			if (opts.SessionID == "") == (opts.ProjectID == "") {
				return usageErrorf("give exactly one of --session and --project")
			}
			if opts.Limit < 0 {
				return usageErrorf("--limit %d: must not be negative", opts.Limit)
			}
			return parseIDFlag("--session", &opts.SessionID)
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			rep, err := s.m.Warm(ctx, opts)
			if err != nil {
				return nil, err
			}
			return warmReport(rep), nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.SessionID, "session", "", "warm the frames of this session (UUID)")
	f.StringVar(&opts.ProjectID, "project", "", "warm the frames of this project")
	f.IntVar(&opts.Limit, "limit", 0, "warm at most this many frames (default 1000)")
	return cmd
}

// warmReport is the output of `storage warm`.
type warmReport tier.WarmReport

func (rep warmReport) text(a *app) {
	a.printf("promoted to tier 1: %d\nalready in tier 1:  %d\n", rep.Promoted, rep.AlreadyHot)
}
