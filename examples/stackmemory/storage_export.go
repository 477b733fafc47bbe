package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

// exportPageSize is how many frames one query of an export reads.
const exportPageSize = 500

// exportFlags are the filters of `storage export`, those of migrate.
type exportFlags struct {
	project   string
	session   string
	olderThan string
	limit     int
}

func (a *app) exportCommand() *cobra.Command {
	var fl exportFlags
	var q tier.Query
	var olderThan time.Duration
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write frames from every tier as JSON lines that 'storage put' reads",
		Long: `Write the frames of every tier on stdout, newest first, one JSON object per
line in exactly the format 'storage put' reads:

  {"frame_id", "session_id", "project_id", "parent_frame_id", "created_at", "data"}

"data" is the frame document byte for byte as stored, so that
'export | put' on another machine reproduces the frames: IDs, sessions,
parents, creation times and documents. (A document with line breaks between
its tokens cannot sit on one line: it is written compacted, the same JSON
value, and a note on stderr counts such documents.)

The filters are those of 'storage migrate'. When a tier cannot be read, the
frames of the others are written, a message names the tier, and the exit
code is 4.`,
		Example: `  stackmemory storage export > all.jsonl
  stackmemory storage export --project web --older-than 30d > web-archive.jsonl
  stackmemory storage export --project web | ssh other-machine stackmemory storage put`,
		Args: args(cobra.NoArgs),
		PreRunE: func(*cobra.Command, []string) error {
			q = tier.Query{ProjectID: fl.project, SessionID: fl.session, Limit: exportPageSize}
			if err := checkLimit(fl.limit, 0); err != nil {
				return err
			}
			if err := parseIDFlag("--session", &q.SessionID); err != nil {
				return err
			}
			olderThan = 0
			if fl.olderThan != "" {
				d, err := parseAge("--older-than", fl.olderThan)
				if err != nil {
					return err
				}
				olderThan = d
			}
			return nil
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			if olderThan > 0 {
				q.Until = time.Now().Add(-olderThan)
			}
			rep, err := a.export(ctx, s.m, q, fl.limit)
			if rep.Compacted > 0 {
				a.notef("%d of %d documents had line breaks between their tokens and were written compacted (the same JSON values)\n", rep.Compacted, rep.Exported)
			}
			if err == nil && !a.jsonOut {
				a.notef("exported %s\n", count(rep.Exported, "frame"))
			}
			return nil, err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.project, "project", "", "only frames of this project")
	f.StringVar(&fl.session, "session", "", "only frames of this session (UUID)")
	f.StringVar(&fl.olderThan, "older-than", "", "only frames created longer ago than this, like 24h or 7d")
	f.IntVar(&fl.limit, "limit", 0, "export at most this many frames (0: no limit)")
	return cmd
}

// exportReport counts what an export wrote.
type exportReport struct {
	Exported  int
	Compacted int
}

// export writes the frames q selects, at most limit when limit > 0, as
// put lines on stdout. A tier that cannot be read gives the unavailable
// exit code after the frames of the others are written.
func (a *app) export(ctx context.Context, m *tier.Manager, q tier.Query, limit int) (exportReport, error) {
	var rep exportReport
	for f, err := range m.All(ctx, q) {
		if err != nil {
			if errors.Is(err, tier.ErrUnavailable) {
				return rep, withCode(exitUnavailable, fmt.Errorf("partial export: %s written, the frames of a tier that could not be read are missing: %w", count(rep.Exported, "frame"), err))
			}
			return rep, fmt.Errorf("export stopped after %s: %w", count(rep.Exported, "frame"), err)
		}
		line, exact, err := exportLine(f)
		if err != nil {
			return rep, fmt.Errorf("frame %s: %w", f.ID, err)
		}
		if _, err := a.stdout.Write(line); err != nil {
			return rep, err
		}
		rep.Exported++
		if !exact {
			rep.Compacted++
		}
		if limit > 0 && rep.Exported >= limit {
			break
		}
	}
	return rep, nil
}
