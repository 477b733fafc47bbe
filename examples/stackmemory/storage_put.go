package main

import (
	"bufio"
	"context"
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
	var in *bufio.Reader
	return &cobra.Command{
		Use:   "put",
		Short: "Store frames read as JSON lines from stdin",
		Long: `Store frames read from stdin, one JSON object per line:

  {"frame_id"?, "session_id", "project_id", "parent_frame_id"?, "created_at"?, "data": {...}}

frame_id, session_id and parent_frame_id are UUIDs; a new frame_id is
assigned when it is missing. created_at is RFC 3339. "data" is the frame
document; it is stored byte for byte as written in the line. This is the
format 'storage export' writes, so 'export | put' copies frames between
machines; a 'storage retrieve --json' line is read too.

For each stored frame its frame_id is printed on stdout, one per line, in
input order. A malformed line is reported on stderr with its line number and
the other lines are still stored; the exit code is then 5. Frames land in
tier 1 (SQLite) even when Redis or PostgreSQL are down. A SQLite database
(like StackMemory's context.db) is refused: 'storage import' reads it.`,
		Example: `  echo '{"session_id":"0190f5c2-0000-7000-8000-000000000001","project_id":"demo","data":{"task":"build"}}' | stackmemory storage put
  stackmemory storage put < frames.jsonl > ids.txt
  ssh laptop stackmemory storage export --project web | stackmemory storage put`,
		Args: args(cobra.NoArgs),
		PreRunE: func(*cobra.Command, []string) error {
			in = bufio.NewReaderSize(a.stdin, 1<<16)
			return checkLines("stdin", in)
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			rep := putReport{Lines: []lineResult{}}
			rejected := &rejectionLog{a: a}
			emit := func(r lineResult) {
				if r.Error != "" {
					rep.Rejected++
					rejected.add(fmt.Sprintf("line %d", r.Line), r.Error)
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
			err := readFrames(ctx, s.m, "", in, emit, nil)
			rejected.done()
			if err != nil {
				return rep, fmt.Errorf("stopped after %s stored: %w", count(rep.Stored, "frame"), err)
			}
			if rep.Rejected > 0 {
				if !a.jsonOut {
					a.notef("%d of %d lines rejected\n", rep.Rejected, rep.Rejected+rep.Stored)
				}
				a.exitCode = exitRejected
			}
			return rep, nil
		}),
	}
}

// text prints nothing: the IDs were printed as the frames were stored.
func (putReport) text(*app) {}
