package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) retrieveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "retrieve <frame_id>",
		Short: "Print a frame's JSON document, from whichever tier holds it",
		Long: `Print the frame's JSON document on stdout exactly as it was stored, byte for
byte, and nothing else (a newline is added only when stdout is a terminal).
With --json, print the frame with its metadata instead: ids, level and tier
it was read from, version, checksum, size, access count; "data" is then the
same JSON value with its whitespace normalized.

Exit code 3 means no tier holds the frame; 4 means a tier that may hold it
cannot be reached; 2 means the ID is not a UUID.`,
		Example: `  stackmemory storage retrieve 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10 | jq .
  stackmemory storage retrieve --json 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			id, err := tier.ParseID(argv[0])
			if err != nil {
				return withCode(exitUsage, err)
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			f, err := s.m.Get(cmd.Context(), id)
			if errors.Is(err, tier.ErrNotFound) {
				return withCode(exitNotFound, fmt.Errorf("frame %s: not found in any tier", id))
			}
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(f)
			}
			if _, err := a.stdout.Write(f.Data); err != nil {
				return err
			}
			if isTerminal(a.stdout) {
				fmt.Fprintln(a.stdout)
			}
			return nil
		},
	}
}
