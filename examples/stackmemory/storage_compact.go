package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) compactCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "compact",
		Short: "Clean up and compact every tier; report what was done",
		Long: `Deliver changes that waited for a tier, finish or roll back interrupted
moves, remove stale copies (older versions) in lower tiers, and compact each
tier that can be compacted (SQLite VACUUM and FTS optimize, Redis index
sweep, PostgreSQL retention). What was done is printed even when a tier
failed on the way; the exit code is then 4, as it is when a tier could not
be reached at all.`,
		Example: `  stackmemory storage compact
  stackmemory storage compact --json`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			rep, err := s.m.Compact(ctx)
			if rep.Compacted == nil {
				rep.Compacted = []string{}
			}
			if err == nil {
				if err = s.unreachable(ctx); err != nil {
					err = fmt.Errorf("compact: not done where a tier cannot be reached: %w", err)
				}
			}
			return compactReport(rep), err
		}),
	}
}

// compactReport is the output of `storage compact`.
type compactReport tier.CompactReport

func (rep compactReport) text(a *app) {
	a.printf("changes delivered:      %d\n", rep.OutboxApplied)
	a.printf("moves healed:           %d\n", rep.Healed)
	a.printf("moves rolled back:      %d\n", rep.Abandoned)
	a.printf("stale copies removed:   %d\n", rep.StaleRemoved)
	compacted := strings.Join(rep.Compacted, ", ")
	if compacted == "" {
		compacted = "-"
	}
	a.printf("tiers compacted:        %s\n", compacted)
}
