package main

import (
	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

// searchResult is the output of `storage search --json`. Frames carry their
// documents as JSON.
type searchResult struct {
	Frames []tier.Frame `json:"frames"`
	// Next is the cursor of the next page ("" on the last page).
	Next string `json:"next"`
	// Incomplete is set when a tier could not be searched.
	Incomplete bool `json:"incomplete"`
}

func (a *app) searchCommand() *cobra.Command {
	var project, session, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "search <text>",
		Short: "Full-text search over the frames of every tier",
		Long: `Search the frames of every tier that keeps an index (SQLite FTS5 for tier 1,
PostgreSQL full text for the archive), best match first. The text uses web
search syntax: words are ANDed, "quoted phrases" match in order, -word
excludes a word, OR matches either side. An empty text lists frames newest
first. Pass the printed cursor to --cursor for the next page. With --json,
each frame's "data" is its document with whitespace normalized; 'storage
retrieve' prints the exact bytes.

When a tier cannot be searched, what the others hold is printed and the
exit code is 4.`,
		Example: `  stackmemory storage search "flaky websocket" --project web
  stackmemory storage search "" --session 0190f5c2-0000-7000-8000-000000000001 --limit 20
  stackmemory storage search migration --json | jq -r '.frames[].frame_id'`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if limit < 0 || limit > 1000 {
				return usageErrorf("--limit %d: must be between 0 and 1000", limit)
			}
			if session != "" {
				id, err := tier.ParseID(session)
				if err != nil {
					return usageErrorf("--session: %v", err)
				}
				session = id
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			page, err := s.m.Query(cmd.Context(), tier.Query{
				Text: argv[0], ProjectID: project, SessionID: session, Limit: limit, Cursor: cursor,
			})
			if err != nil && page.Frames == nil {
				return err
			}
			out := searchResult{Frames: page.Frames, Next: page.Next, Incomplete: err != nil}
			if out.Frames == nil {
				out.Frames = []tier.Frame{}
			}
			if a.jsonOut {
				if perr := a.printJSON(out); perr != nil {
					return perr
				}
				return err
			}
			t := newTable(a)
			t.row("FRAME", "CREATED", "TIER", "PROJECT", "DOCUMENT")
			for _, f := range out.Frames {
				t.row(f.ID, humanTime(f.CreatedAt), f.Level, f.ProjectID, snippet(f.Data, 60))
			}
			t.flush()
			a.printf("%d frames\n", len(out.Frames))
			if out.Next != "" {
				a.printf("more: --cursor %s\n", out.Next)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&project, "project", "", "only frames of this project")
	f.StringVar(&session, "session", "", "only frames of this session (UUID)")
	f.IntVar(&limit, "limit", 0, "frames per page, at most 1000 (default 50)")
	f.StringVar(&cursor, "cursor", "", "continue a previous search from its printed cursor")
	return cmd
}
