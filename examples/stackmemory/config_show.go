package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// configView is the output of `config show`.
type configView struct {
	ConfigFile      string        `json:"config_file"`
	ConfigFileFound bool          `json:"config_file_found"`
	Drivers         []string      `json:"drivers"`
	Config          config.Config `json:"config"`
}

func (a *app) configShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration, passwords redacted",
		Long: `Print the configuration the other commands run with: the config file, then
the environment, then the flags, with every default filled in. Passwords in
URLs are replaced by xxxxx. Nothing is connected to.

The file has the shape of StackMemory's TierConfig, for example:

  {
    "sqlite":   {"path": "~/.stackmemory/frames.db", "maxFrames": 1000, "maxAge": "24h"},
    "redis":    {"url": "redis://localhost:6379/0", "ttl": 86400, "maxAge": "7d"},
    "postgres": {"url": "postgres://localhost/stackmemory", "retentionDays": 365},
    "evictionStrategy": "LRU"
  }`,
		Example: `  stackmemory config show
  stackmemory --redis redis://:secret@localhost:6379/0 config show --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			_, statErr := os.Stat(path)
			out := configView{
				ConfigFile:      path,
				ConfigFileFound: !errors.Is(statErr, fs.ErrNotExist),
				Drivers:         tier.Drivers(),
				Config:          cfg.Redacted(),
			}
			if a.jsonOut {
				return a.printJSON(out)
			}
			state := "found"
			if !out.ConfigFileFound {
				state = "not found, defaults apply"
			}
			a.printf("config file: %s (%s)\n", out.ConfigFile, state)
			a.printf("drivers:     %v\n", out.Drivers)
			a.printf("effective configuration:\n")
			return a.printJSON(out.Config)
		},
	}
}
