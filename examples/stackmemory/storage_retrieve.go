package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) retrieveCommand() *cobra.Command {
	var id string
	return &cobra.Command{
		Use:   "retrieve <frame_id>",
		Short: "Print a frame's JSON document, from whichever tier holds it",
		Long: `Print the frame's JSON document on stdout exactly as it was stored, byte for
byte, and nothing else (a newline is added only when stdout is a terminal).
With --json, print the frame with its metadata on one line instead: ids,
level and tier it was read from, version, checksum, size, access count, and
last "data", the same document byte for byte (compacted only when it has
line breaks between its tokens). 'storage put' takes that line back.

Exit code 3 means no tier holds the frame; 4 means a tier that may hold it
cannot be reached; 2 means the ID is not a UUID.`,
		Example: `  stackmemory storage retrieve 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10 | jq .
  stackmemory storage retrieve --json 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10`,
		Args: args(cobra.ExactArgs(1)),
		PreRunE: func(_ *cobra.Command, argv []string) (err error) {
			id, err = tier.ParseID(argv[0])
			return withCode(exitUsage, err)
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			f, err := s.m.Get(ctx, id)
			if errors.Is(err, tier.ErrNotFound) {
				return nil, withCode(exitNotFound, fmt.Errorf("frame %s: not found in any tier", id))
			}
			if err != nil {
				return nil, err
			}
			return retrieved(f), nil
		}),
	}
}

// retrieved is the output of `storage retrieve`: the document alone, or
// with --json the frame on one line.
type retrieved tier.Frame

func (f retrieved) text(a *app) {
	_, _ = a.stdout.Write(f.Data)
	if isTerminal(a.stdout) {
		fmt.Fprintln(a.stdout)
	}
}

// jsonLine is the frame on one line, its document byte for byte.
func (f retrieved) jsonLine() ([]byte, error) {
	line, _, err := retrieveLine(tier.Frame(f))
	return line, err
}
