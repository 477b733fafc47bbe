package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// putReport is the output of `storage put --json`.
type putReport struct {
	Stored   int          `json:"stored"`
	Rejected int          `json:"rejected"`
	Lines    []lineResult `json:"lines"`
}

func (a *app) putCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "put",
		Short: "Store frames read as JSON lines from stdin",
		Long: `Store frames read from stdin, one JSON object per line:

  {"frame_id"?, "session_id", "project_id", "parent_frame_id"?, "created_at"?, "data": {...}}

frame_id, session_id and parent_frame_id are UUIDs; a new frame_id is
assigned when it is missing. created_at is RFC 3339. "data" is the frame
document; it is stored byte for byte as written in the line.

For each stored frame its frame_id is printed on stdout, one per line, in
input order. A malformed line is reported on stderr with its line number and
the other lines are still stored; the exit code is then 5. Frames land in
tier 1 (SQLite) even when Redis or PostgreSQL are down.`,
		Example: `  echo '{"session_id":"0190f5c2-0000-7000-8000-000000000001","project_id":"demo","data":{"task":"build"}}' | stackmemory storage put
  stackmemory storage put < frames.jsonl > ids.txt`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			rep := putReport{Lines: []lineResult{}}
			emit := func(r lineResult) {
				if r.Error != "" {
					rep.Rejected++
					fmt.Fprintf(a.stderr, "line %d: %s\n", r.Line, a.scrub(r.Error))
				} else {
					rep.Stored++
					if !a.jsonOut {
						a.printf("%s\n", r.FrameID)
					}
				}
				if a.jsonOut {
					rep.Lines = append(rep.Lines, r)
				}
			}
			err = readFrames(cmd.Context(), s.m, "", a.stdin, emit, nil)
			if a.jsonOut {
				if perr := a.printJSON(rep); perr != nil && err == nil {
					err = perr
				}
			}
			if err != nil {
				return fmt.Errorf("stopped after %d frames stored: %w", rep.Stored, err)
			}
			if rep.Rejected > 0 {
				a.notef("%d of %d lines rejected\n", rep.Rejected, rep.Rejected+rep.Stored)
				a.exitCode = exitRejected
			}
			return nil
		},
	}
}
