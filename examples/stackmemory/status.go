package main

import (
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier/config"
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
		Example: `  stackmemory status
  stackmemory status --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			st, err := a.collectStatus(cmd.Context(), s)
			if err != nil {
				return err
			}
			out := overallStatus{
				Version:       version(),
				ConfigFile:    s.configFile,
				SQLitePath:    sqlitePath(s.cfg),
				storageStatus: st,
			}
			stats, err := s.m.Stats(cmd.Context())
			if err != nil {
				return err
			}
			out.Reads, out.HotHitRatio = stats.Reads, stats.HotHitRatio
			out.MovesDown, out.MovesUp = stats.MovesDown, stats.MovesUp
			if a.jsonOut {
				return a.printJSON(out)
			}
			a.printf("stackmemory %s\n", out.Version)
			a.printf("config file: %s\n", out.ConfigFile)
			a.printf("tier 1 file: %s\n", out.SQLitePath)
			a.printf("activity:    %d reads (%s from tier 1), %d frames moved down, %d up\n\n",
				out.Reads, percent(out.HotHitRatio), out.MovesDown, out.MovesUp)
			a.printStorageStatus(st)
			return nil
		},
	}
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// sqlitePath is the tier 1 file in use.
func sqlitePath(cfg config.Config) string {
	if cfg.SQLite.Path != "" {
		return cfg.SQLite.Path
	}
	if dir, err := config.DefaultDir(); err == nil {
		return filepath.Join(dir, "frames.db")
	}
	return "~/.stackmemory/frames.db"
}
