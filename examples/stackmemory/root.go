package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "stackmemory",
		Short: "Store, find and move StackMemory frames across storage tiers",
		Long: `stackmemory keeps StackMemory frames (the JSON records an AI coding agent
writes) in a chain of storage tiers: SQLite (tier 1, always), Redis (warm)
and PostgreSQL (cold) when configured, and moves them between tiers.

Configuration comes from the "storage" key of ~/.stackmemory/config.json
(or --config), then the environment (STACKMEMORY_REDIS_URL,
STACKMEMORY_POSTGRES_URL, STACKMEMORY_SQLITE_PATH), then the flags --sqlite,
--redis and --postgres. With nothing configured it runs on SQLite alone
(~/.stackmemory/frames.db). 'stackmemory config show' prints the result.

Every command prints text for people by default and JSON with --json;
with --json, errors are JSON on stderr too: {"error": "...", "code": N}.`,
		Example: `  stackmemory status
  echo '{"project_id":"demo","data":{"task":"fix the build"}}' | stackmemory storage put
  stackmemory storage retrieve 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10
  stackmemory --redis redis://127.0.0.1:6379/0 storage migrate --tier 2 --older-than 24h
  stackmemory storage stats --json
  stackmemory storage export --project web > web.jsonl`,
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              noSubcommand,
		RunE:              helpOnly,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRun: func(*cobra.Command, []string) {
			a.setupLogging()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default ~/.stackmemory/config.json)")
	pf.StringVar(&a.sqlitePath, "sqlite", "", "SQLite file of tier 1 (default ~/.stackmemory/frames.db)")
	pf.StringVar(&a.redisURL, "redis", "", "Redis URL of the warm tier, like redis://:password@host:6379/0")
	pf.StringVar(&a.postgresURL, "postgres", "", "PostgreSQL URL of the cold tier, like postgres://user:password@host/db")
	pf.BoolVar(&a.jsonOut, "json", false, "print JSON for scripts instead of text")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log debug messages to stderr")

	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{Code: exitUsage, Err: err}
	})
	root.SetUsageTemplate(root.UsageTemplate() + exitCodesHelp)
	root.SetVersionTemplate("stackmemory {{.Version}}\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)

	storage := &cobra.Command{
		Use:   "storage",
		Short: "Work with the frames in the tiers",
		Example: `  stackmemory storage status
  stackmemory storage migrate --tier 3 --older-than 7d`,
		Args: noSubcommand,
		RunE: helpOnly,
	}
	storage.AddCommand(
		a.storageStatusCommand(),
		a.migrateCommand(),
		a.retrieveCommand(),
		a.exportCommand(),
		a.compactCommand(),
		a.statsCommand(),
		a.putCommand(),
		a.importCommand(),
		a.searchCommand(),
		a.verifyCommand(),
		a.maintainCommand(),
		a.warmCommand(),
	)
	config := &cobra.Command{
		Use:     "config",
		Short:   "Inspect the configuration",
		Example: `  stackmemory config show`,
		Args:    noSubcommand,
		RunE:    helpOnly,
	}
	config.AddCommand(a.configShowCommand())
	root.AddCommand(a.statusCommand(), storage, config)
	return root
}

// noSubcommand rejects arguments given to a command that only groups
// subcommands: they name a subcommand that does not exist.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usageErrorf("unknown command %q for %q (commands: %s)", args[0], cmd.CommandPath(), strings.Join(names, ", "))
}

// helpOnly shows the help of a command group run without a subcommand.
func helpOnly(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}

// version is the version of the module the binary was built from, or
// "devel" when the build did not record one.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
