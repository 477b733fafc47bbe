package main

import (
	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) warmCommand() *cobra.Command {
	var session, project string
	var limit int
	cmd := &cobra.Command{
		Use:   "warm --session S | --project P",
		Short: "Bring a session's or project's frames back to tier 1",
		Long: `Copy the frames of a session or a project from the lower tiers back up to
tier 1, so that an agent resuming work reads them locally. The lower
durable copies stay.`,
		Example: `  stackmemory storage warm --session 0190f5c2-0000-7000-8000-000000000001
  stackmemory storage warm --project web --limit 200`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (session == "") == (project == "") {
				return usageErrorf("give exactly one of --session and --project")
			}
			if limit < 0 {
				return usageErrorf("--limit %d: must not be negative", limit)
			}
			if session != "" {
				id, err := tier.ParseID(session)
				if err != nil {
					return usageErrorf("--session: %v", err)
				}
				session = id
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			rep, err := s.m.Warm(cmd.Context(), tier.WarmOptions{SessionID: session, ProjectID: project, Limit: limit})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			a.printf("promoted to tier 1: %d\nalready in tier 1:  %d\n", rep.Promoted, rep.AlreadyHot)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&session, "session", "", "warm the frames of this session (UUID)")
	f.StringVar(&project, "project", "", "warm the frames of this project")
	f.IntVar(&limit, "limit", 0, "warm at most this many frames (default 1000)")
	return cmd
}
