package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

// searchResult is the output of `storage search`. Frames carry their
// documents as JSON.
type searchResult struct {
	Frames []tier.Frame `json:"frames"`
	// Next is the cursor of the next page ("" on the last page).
	Next string `json:"next"`
	// Incomplete is set when a tier could not be searched; Unsearched
	// names those tiers. The frames are then what the other tiers hold.
	Incomplete bool     `json:"incomplete"`
	Unsearched []string `json:"unsearched"`
}

func (a *app) searchCommand() *cobra.Command {
	var q tier.Query
	var since, until string
	cmd := &cobra.Command{
		Use:   "search <text>",
		Short: "Full-text search over the frames of every tier",
		Long: `Search the frames of every tier that keeps an index (SQLite FTS5 for tier 1,
PostgreSQL full text for the archive), best match first. The text uses web
search syntax, the same in every tier: words are ANDed, "quoted phrases"
match in order, -word excludes a word, OR matches either side, word*
matches a prefix. An empty text lists frames newest first. Pass the printed
cursor to --cursor for the next page. With --json, each frame's "data" is
its document with whitespace normalized; 'storage retrieve' prints the
exact bytes.

--since and --until bound the creation time: an RFC 3339 time, a date, or a
duration before now (7d). --parent lists the children of a frame.

When a tier cannot be searched, what the others hold is printed, a warning
names the tiers not searched, and the exit code is 4.`,
		Example: `  stackmemory storage search "flaky websocket" --project web
  stackmemory storage search "" --session 0190f5c2-0000-7000-8000-000000000001 --limit 20
  stackmemory storage search "" --since 7d --until 2d
  stackmemory storage search "" --parent 0190f5c2-7a3e-7c41-9d2b-5b1c3e8f9a10
  stackmemory storage search migration --json | jq -r '.frames[].frame_id'`,
		Args: args(cobra.ExactArgs(1)),
		PreRunE: func(_ *cobra.Command, argv []string) error {
			q.Text = argv[0]
			if err := checkLimit(q.Limit, 1000); err != nil {
				return err
			}
			if err := parseIDFlag("--session", &q.SessionID); err != nil {
				return err
			}
			if err := parseIDFlag("--parent", &q.ParentID); err != nil {
				return err
			}
			now := time.Now()
			for _, tf := range []struct {
				flag, value string
				dst         *time.Time
			}{{"--since", since, &q.Since}, {"--until", until, &q.Until}} {
				if tf.value == "" {
					continue
				}
				t, err := parseTimeFlag(tf.flag, tf.value, now)
				if err != nil {
					return err
				}
				*tf.dst = t
			}
			if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
				return usageErrorf("--until %s is not after --since %s", humanTime(q.Until), humanTime(q.Since))
			}
			return nil
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			page, err := s.m.Query(ctx, q)
			if err != nil && !errors.Is(err, tier.ErrUnavailable) {
				return nil, err
			}
			out := searchResult{Frames: page.Frames, Next: page.Next, Unsearched: page.Unsearched}
			if out.Frames == nil {
				out.Frames = []tier.Frame{}
			}
			if out.Unsearched == nil {
				out.Unsearched = []string{}
			}
			out.Incomplete = err != nil || len(out.Unsearched) > 0
			if out.Incomplete {
				err = withCode(exitUnavailable, unsearchedError(out.Unsearched, err))
			}
			return out, err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&q.ProjectID, "project", "", "only frames of this project")
	f.StringVar(&q.SessionID, "session", "", "only frames of this session (UUID)")
	f.StringVar(&q.ParentID, "parent", "", "only the children of this frame (UUID)")
	f.StringVar(&since, "since", "", "only frames created at or after this time (RFC 3339, date, or duration ago like 7d)")
	f.StringVar(&until, "until", "", "only frames created before this time (RFC 3339, date, or duration ago like 1d)")
	f.IntVar(&q.Limit, "limit", 0, "frames per page, at most 1000 (default 50)")
	f.StringVar(&q.Cursor, "cursor", "", "continue a previous search from its printed cursor")
	return cmd
}

// unsearchedError says which tiers a partial answer lacks.
func unsearchedError(tiers []string, err error) error {
	note := "partial answer: the frames printed are those of the tiers that could be searched"
	if len(tiers) > 0 {
		note = "partial answer: not searched: " + strings.Join(tiers, ", ") +
			"; the frames printed are those of the other tiers"
	}
	if err == nil {
		return errors.New(note)
	}
	return fmt.Errorf("%s (%w)", note, err)
}

func (out searchResult) text(a *app) {
	t := newTable(a)
	t.row("FRAME", "CREATED", "TIER", "PROJECT", "DOCUMENT")
	for _, f := range out.Frames {
		t.row(f.ID, humanTime(f.CreatedAt), f.Level, f.ProjectID, snippet(f.Data, 60))
	}
	t.flush()
	a.printf("%s\n", count(len(out.Frames), "frame"))
	if out.Next != "" {
		a.printf("more: --cursor %s\n", out.Next)
	}
}
