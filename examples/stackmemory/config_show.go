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
URLs are replaced by xxxxx. Nothing is connected to, and the file is never
written. backgroundSync shows false: the command line is a short-lived
process, and its commands (maintain, migrate, compact) do that work.

The configuration is the "storage" key of StackMemory's own config.json, in
the shape of the StackMemory spec's TierConfig; the other keys of the file
belong to other parts of StackMemory and are left alone. For example:

  {
    "storage": {
      "enabled": true,
      "tiers": {
        "sqlite":   {"maxSize": 524288000, "maxFrames": 1000, "maxAge": 86400},
        "redis":    {"enabled": true, "connectionString": "redis://localhost:6379/0", "ttl": 86400},
        "postgres": {"enabled": true, "connectionString": "postgres://localhost/stackmemory", "retentionDays": 365}
      },
      "policies": {"promotionThreshold": 3, "evictionStrategy": "lru"}
    }
  }`,
		Example: `  stackmemory config show
  stackmemory --redis redis://:secret@localhost:6379/0 config show --json`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			_, statErr := os.Stat(path)
			return a.emit(configView{
				ConfigFile:      path,
				ConfigFileFound: !errors.Is(statErr, fs.ErrNotExist),
				Drivers:         tier.Drivers(),
				Config:          cfg.Redacted(),
			})
		},
	}
}

func (v configView) text(a *app) {
	state := "found"
	if !v.ConfigFileFound {
		state = "not found, defaults apply"
	}
	a.printf("config file: %s (%s)\n", v.ConfigFile, state)
	a.printf("drivers:     %v\n", v.Drivers)
	a.printf("effective configuration:\n")
	if err := a.printJSON(v.Config); err != nil {
		a.log.Debug("print the configuration", "err", err)
	}
}
