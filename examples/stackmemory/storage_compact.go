package main

import (
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) compactCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "compact",
		Short: "Clean up and compact every tier; report what was done",
		Long: `Deliver changes that waited for a tier, finish or roll back interrupted
moves, remove stale and redundant copies in lower tiers, and compact each
tier that can be compacted (SQLite VACUUM and FTS optimize, Redis index
sweep, PostgreSQL retention).`,
		Example: `  stackmemory storage compact
  stackmemory storage compact --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			rep, err := s.m.Compact(cmd.Context())
			if rep.Compacted == nil {
				rep.Compacted = []string{}
			}
			if a.jsonOut {
				if perr := a.printJSON(rep); perr != nil {
					return perr
				}
			} else {
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
			return err
		},
	}
}
