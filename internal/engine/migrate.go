package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// MigrateOptions selects frames to move down to a tier.
type MigrateOptions struct {
	// ToLevel is the tier the frames go to: 2 or more.
	ToLevel int
	// Filters; zero fields do not filter.
	ProjectID string
	SessionID string
	// OlderThan keeps frames created more than this long ago.
	OlderThan time.Duration
	// Limit caps the number of frames moved; 0 means no cap.
	Limit int
	// DryRun counts what would move and moves nothing.
	DryRun bool
	// Progress, when set, is called after each batch with the number of
	// frames handled so far and the total planned (0 when unknown).
	Progress func(done, total int)
}

// MigrateReport says what Migrate did (or, for a dry run, would do).
type MigrateReport struct {
	ToLevel int `json:"to_level"`
	// Selected counts frames above ToLevel that match the filters.
	Selected int `json:"selected"`
	// Moved counts frames now held by ToLevel (and, when it is a cache, by
	// the durable tier below it).
	Moved int `json:"moved"`
	// Skipped counts frames left where they were: changed, deleted during
	// the move, or not verifiable in the destination.
	Skipped int            `json:"skipped"`
	DryRun  bool           `json:"dry_run"`
	ByTier  map[string]int `json:"by_tier"` // frames selected per source tier
}

// Migrate moves frames from every tier above opts.ToLevel down to it, with
// the same crash-safe moves as the background demotion. It runs under the
// mover lease; while another process holds it, Migrate fails with ErrBusy.
func (m *Engine) Migrate(ctx context.Context, opts MigrateOptions) (MigrateReport, error) {
	if err := m.enter(); err != nil {
		return MigrateReport{}, err
	}
	defer m.leave()
	rep := MigrateReport{ToLevel: opts.ToLevel, DryRun: opts.DryRun, ByTier: map[string]int{}}
	if opts.ToLevel < 2 || opts.ToLevel > len(m.chain) {
		return rep, fmt.Errorf("%w: migrate to tier %d: the chain has tiers 1 to %d, and frames can only move down (2 or more)",
			ErrBadConfig, opts.ToLevel, len(m.chain))
	}
	if opts.Limit < 0 || opts.OlderThan < 0 {
		return rep, fmt.Errorf("%w: migrate: negative limit or age", ErrBadConfig)
	}
	release, err := m.takeLease(ctx)
	if err != nil {
		return rep, err
	}
	defer release()
	if _, _, err := m.healMoves(ctx); err != nil {
		return rep, err
	}
	var before time.Time
	if opts.OlderThan > 0 {
		before = m.now().Add(-opts.OlderThan)
	}
	remaining := opts.Limit
	if remaining == 0 {
		remaining = -1
	}
	seen := map[string]bool{}
	for _, from := range m.chain[:opts.ToLevel-1] {
		p, why, ok := m.planMove(from, opts.ToLevel)
		if !ok {
			for _, l := range m.chain[opts.ToLevel-1:] {
				if l.isPending() {
					return rep, fmt.Errorf("%w: migrate from %s: %s is not connected", ErrUnavailable, from, l)
				}
			}
			return rep, fmt.Errorf("%w: migrate from %s: %s", ErrBadConfig, from, why)
		}
		filter := listFilter{ProjectID: opts.ProjectID, SessionID: opts.SessionID, CreatedBefore: before}
		err := from.eachFrame(ctx, filter, func(metas []driver.Meta) error {
			if remaining >= 0 {
				metas = metas[:min(len(metas), remaining)]
				remaining -= len(metas)
			}
			// A frame selected in a higher tier may have a copy here too
			// (replicated early): the copy moves as well, the frame counts
			// once.
			var ids, copies []string
			for _, id := range idsOf(metas) {
				if seen[id] {
					copies = append(copies, id)
				} else {
					seen[id] = true
					ids = append(ids, id)
				}
			}
			rep.Selected += len(ids)
			rep.ByTier[from.name] += len(ids)
			if !opts.DryRun {
				res, err := m.moveFrames(ctx, p, ids)
				rep.Moved += res.moved
				rep.Skipped += res.skipped
				if err == nil && len(copies) > 0 {
					_, err = m.moveFrames(ctx, p, copies)
				}
				if opts.Progress != nil {
					opts.Progress(rep.Moved+rep.Skipped, 0)
				}
				if err != nil {
					return err
				}
			}
			if remaining == 0 {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// errStop ends a selection early.
var errStop = errors.New("stop")
