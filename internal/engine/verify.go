package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
)

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Repair fixes what Verify finds: corrupt copies are replaced from a
	// good copy, stale copies removed, and frames held only by a cache
	// written through to the durable tier below it.
	Repair bool
	// Progress, when set, is called after each batch with the number of
	// frames checked so far.
	Progress func(checked int)
}

// Kinds of problems Verify reports.
const (
	IssueCorrupt   = "corrupt"    // a copy fails its checksum or cannot be decoded
	IssueStale     = "stale"      // a copy is older than the one in a higher tier
	IssueCacheOnly = "cache-only" // no durable tier holds the frame (invariant 2)
	IssueLost      = "lost"       // no good copy of the frame remains
)

// VerifyIssue is one problem found by Verify.
type VerifyIssue struct {
	FrameID  string `json:"frame_id"`
	Tier     string `json:"tier"`
	Kind     string `json:"kind"`
	Repaired bool   `json:"repaired"`
	Detail   string `json:"detail,omitempty"`
}

// VerifyReport says what Verify found and did.
type VerifyReport struct {
	// Checked counts distinct frames examined; Copies the copies read.
	Checked int           `json:"checked"`
	Copies  int           `json:"copies"`
	Issues  []VerifyIssue `json:"issues"`
	// Repaired counts the issues fixed (with Repair set).
	Repaired int `json:"repaired"`
	// Unreachable lists tiers that could not be audited.
	Unreachable []string `json:"unreachable,omitempty"`
}

// Verify audits every tier: each frame's copies are read and checked for
// corruption, staleness and invariant 2 (a cache never holds the only
// copy). With opts.Repair it also repairs what it finds from a good copy.
// This is the self-healing synchronisation of the tiers; the background
// loop runs the healing part (journal, outbox) every cycle, and Verify is
// the full audit, run on demand.
//
// Verify reads every frame of every tier: its cost grows with the size of
// the archive.
func (m *Engine) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	if err := m.enter(); err != nil {
		return VerifyReport{}, err
	}
	defer m.leave()
	var rep VerifyReport
	seen := map[string]bool{}
	for _, l := range m.chain {
		err := l.eachFrame(ctx, listFilter{}, func(metas []driver.Meta) error {
			var fresh []string
			for _, id := range idsOf(metas) {
				if !seen[id] {
					seen[id] = true
					fresh = append(fresh, id)
				}
			}
			if err := m.verifyFrames(ctx, fresh, opts.Repair, &rep); err != nil {
				return err
			}
			rep.Checked += len(fresh)
			if opts.Progress != nil {
				opts.Progress(rep.Checked)
			}
			return nil
		})
		if errors.Is(err, ErrUnavailable) {
			rep.Unreachable = append(rep.Unreachable, l.name)
			continue
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// copyState is what one tier holds of one frame.
type copyState struct {
	l       *link
	rec     driver.Record
	corrupt bool
}

// verifyFrames checks the copies of ids in every tier.
func (m *Engine) verifyFrames(ctx context.Context, ids []string, repair bool, rep *VerifyReport) error {
	copies := map[string][]copyState{}
	for _, l := range m.chain {
		recs, damaged, err := l.getSound(ctx, ids)
		if errors.Is(err, ErrUnavailable) {
			continue // the tier is reported unreachable by the listing
		}
		if err != nil {
			return fmt.Errorf("verify: read %s: %w", l, err)
		}
		for _, id := range damaged {
			copies[id] = append(copies[id], copyState{l: l, corrupt: true})
		}
		for _, r := range recs {
			copies[r.ID] = append(copies[r.ID], copyState{l: l, rec: r, corrupt: driver.Checksum(r.Data) != r.Checksum})
		}
	}
	for _, id := range ids {
		rep.Copies += len(copies[id])
		m.verifyFrame(ctx, id, copies[id], repair, rep)
	}
	return nil
}

func (m *Engine) verifyFrame(ctx context.Context, id string, cs []copyState, repair bool, rep *VerifyReport) {
	var best *driver.Record
	bestDurable := false
	for _, c := range cs {
		if !c.corrupt && (best == nil || c.rec.Version > best.Version) {
			r := c.rec
			best = &r
		}
	}
	for _, c := range cs {
		if best != nil && !c.corrupt && c.rec.Version == best.Version && c.l.h().durable {
			bestDurable = true
		}
	}
	report := func(l *link, kind, detail string, fix func() error) {
		issue := VerifyIssue{FrameID: id, Tier: l.name, Kind: kind, Detail: detail}
		if repair && fix != nil {
			if err := fix(); err == nil {
				issue.Repaired = true
				rep.Repaired++
			} else {
				issue.Detail += "; repair failed: " + err.Error()
			}
		}
		rep.Issues = append(rep.Issues, issue)
	}
	if best == nil {
		if len(cs) > 0 {
			report(cs[0].l, IssueLost, "every copy found is corrupt", nil)
		}
		return
	}
	if m.isDeleted(id, best.Version) {
		return // a postponed delete removes these copies
	}
	durable := false
	for _, c := range cs {
		if !c.corrupt && c.l.h().durable {
			durable = true
		}
	}
	for _, c := range cs {
		l := c.l
		switch {
		case c.corrupt:
			good := *best
			report(l, IssueCorrupt, "copy fails its checksum", func() error {
				defer m.locks.lock(id)()
				return m.repair(ctx, l, good, bestDurable)
			})
		case c.rec.Version < best.Version && l.level > m.levelOf(cs, best.Version):
			v := best.Version
			report(l, IssueStale, fmt.Sprintf("version %d below a newer version %d", c.rec.Version, v), func() error {
				return l.delete(ctx, id, v-1)
			})
		}
	}
	if !durable {
		from := cs[0].l
		report(from, IssueCacheOnly, "no durable tier holds the frame", func() error {
			for _, l := range m.chain[from.level:] {
				if l.h().durable {
					return l.put(ctx, *best)
				}
			}
			return errors.New("no durable tier below")
		})
	}
}

// levelOf returns the highest level holding a sound copy at version v.
func (m *Engine) levelOf(cs []copyState, v uint64) int {
	for _, c := range cs {
		if !c.corrupt && c.rec.Version == v {
			return c.l.level
		}
	}
	return 0
}
