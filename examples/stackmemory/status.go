package main

import (
	"context"

	"github.com/spf13/cobra"
)

// overallStatus is the output of `status`: where things are configured,
// the tiers, and a summary of the statistics.
type overallStatus struct {
	Version    string `json:"version"`
	ConfigFile string `json:"config_file"`
	SQLitePath string `json:"sqlite_path"`
	storageStatus
	Reads       int64   `json:"reads"`
	HotHitRatio float64 `json:"hot_hit_ratio"`
	MovesDown   int64   `json:"moves_down"`
	MovesUp     int64   `json:"moves_up"`
}

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the overall status: configuration, tiers and activity",
		Long: `Show the version, the config file and tier 1 file in use, the activity
recorded by every process (reads, share served by tier 1, moves), and the
table of 'storage status'.

The exit code is 4 while a configured tier cannot be reached; the status is
printed all the same.`,
		Example: `  stackmemory status
  stackmemory status --json`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			st, err := a.collectStatus(ctx, s)
			if err != nil {
				return nil, err
			}
			stats, err := s.m.Stats(ctx)
			if err != nil {
				return nil, err
			}
			out := overallStatus{
				Version:       version(),
				ConfigFile:    s.configFile,
				SQLitePath:    sqlitePath(s.cfg),
				storageStatus: st,
				Reads:         stats.Reads,
				HotHitRatio:   stats.HotHitRatio,
				MovesDown:     stats.MovesDown,
				MovesUp:       stats.MovesUp,
			}
			return out, st.downError()
		}),
	}
}

func (out overallStatus) text(a *app) {
	a.printf("stackmemory %s\n", out.Version)
	a.printf("config file: %s\n", out.ConfigFile)
	a.printf("tier 1 file: %s\n", out.SQLitePath)
	a.printf("activity:    %d reads (%s from tier 1), %d frames moved down, %d up\n\n",
		out.Reads, percent(out.HotHitRatio), out.MovesDown, out.MovesUp)
	out.storageStatus.text(a)
}
