package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) maintainCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "maintain",
		Short: "Run one maintenance cycle: demote over-limit tiers, heal, deliver",
		Long: `Run one maintenance cycle now, the work the library's background loop does
in a long-running host: deliver changes that waited for a tier, heal
interrupted moves, and demote frames from every tier over its limits
(frames, bytes, idle time) in the order of the eviction strategy.

Only one process at a time moves frames of a store: when another one is
busy, the exit code is 7. When a tier cannot be reached, what could be done
is done and reported, and the exit code is 4.`,
		Example: `  stackmemory storage maintain
  stackmemory storage maintain --json`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			rep, err := s.m.Maintain(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.unreachable(ctx); err != nil {
				return maintainReport(rep), fmt.Errorf("maintain: a tier cannot be reached, its work waits: %w", err)
			}
			return maintainReport(rep), nil
		}),
	}
}

// maintainReport is the output of `storage maintain`.
type maintainReport tier.MaintenanceReport

func (rep maintainReport) text(a *app) {
	a.printf("demoted:           %d\n", rep.Demoted)
	a.printf("moves healed:      %d\n", rep.Healed)
	a.printf("moves rolled back: %d\n", rep.Abandoned)
	a.printf("changes delivered: %d\n", rep.OutboxApplied)
	for _, s := range rep.Stuck {
		a.printf("stuck: %s\n", s)
	}
}
