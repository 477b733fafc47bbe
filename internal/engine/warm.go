package engine

import (
	"context"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
)

// Pre-fetch bounds: a Get served from a lower tier warms at most
// prefetchParents ancestors and the prefetchSession frames of its session
// written just before it (what an agent walking back through a session
// reads next), never a whole session.
const (
	prefetchParents = 8
	prefetchSession = 8
	maxWarmFrames   = 10000
)

// WarmOptions selects frames to bring up to the first tier.
type WarmOptions struct {
	SessionID string
	ProjectID string
	// Limit caps the frames brought up; 0 means 1000.
	Limit int
}

// WarmReport says what Warm did.
type WarmReport struct {
	// Promoted counts frames copied up to the first tier.
	Promoted int `json:"promoted"`
	// AlreadyHot counts matching frames the first tier already held.
	AlreadyHot int `json:"already_hot"`
}

// Warm copies the frames of a session or project from lower tiers up to
// the first tier, newest first: for an agent resuming a session. Their
// durable copies stay below. At least one of SessionID and ProjectID is
// required.
func (m *Engine) Warm(ctx context.Context, opts WarmOptions) (WarmReport, error) {
	if err := m.enter(); err != nil {
		return WarmReport{}, err
	}
	defer m.leave()
	if opts.SessionID == "" && opts.ProjectID == "" {
		return WarmReport{}, fmt.Errorf("%w: Warm needs a session or a project", ErrBadConfig)
	}
	if opts.Limit < 0 || opts.Limit > maxWarmFrames {
		return WarmReport{}, fmt.Errorf("%w: Warm limit %d is outside 0-%d", ErrBadConfig, opts.Limit, maxWarmFrames)
	}
	limit := opts.Limit
	if limit == 0 {
		limit = 1000
	}
	return m.warm(ctx, driver.Query{SessionID: opts.SessionID, ProjectID: opts.ProjectID, Limit: limit}, "")
}

// warm promotes the frames lower tiers return for q, up to q.Limit, except
// the frame skip (a frame read once is not promoted for that alone).
func (m *Engine) warm(ctx context.Context, q driver.Query, skip string) (WarmReport, error) {
	var rep WarmReport
	hot := m.chain[0]
	want := q.Limit
	for _, l := range m.chain[1:] {
		if !l.canQuery() || want <= 0 {
			continue
		}
		q.Limit = want
		since := m.coh.since()
		hits, _, err := l.query(ctx, q)
		if err != nil {
			return rep, fmt.Errorf("warm from %s: %w", l, err)
		}
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		held, err := hot.getMany(ctx, ids)
		if err != nil {
			return rep, fmt.Errorf("warm: read %s: %w", hot, err)
		}
		up := make(map[string]bool, len(held))
		for _, h := range held {
			up[h.ID] = true
		}
		rep.AlreadyHot += len(held)
		promoted := 0
		for _, h := range hits {
			if up[h.ID] || h.ID == skip {
				continue
			}
			ok, err := m.bringUp(ctx, h.Record, since)
			if err != nil {
				return rep, fmt.Errorf("warm into %s: %w", hot, err)
			}
			if ok {
				promoted++
			}
		}
		rep.Promoted += promoted
		m.stats.moved(l.level, 1, int64(promoted))
		want -= len(hits)
	}
	return rep, nil
}

// prefetch warms the frames related to one just read from a lower tier:
// its parent chain and its session. It runs in the background, at most once
// at a time per session (singleflight).
func (m *Engine) prefetch(rec driver.Record) {
	key := "session:" + rec.SessionID
	if rec.SessionID == "" {
		key = "frame:" + rec.ID
	}
	m.goBackground(func(ctx context.Context) {
		_, _, _ = m.prefetches.Do(key, func() (any, error) {
			m.prefetchParents(ctx, rec)
			if rec.SessionID != "" {
				q := driver.Query{SessionID: rec.SessionID, CreatedBefore: rec.CreatedAt, Limit: prefetchSession}
				if _, err := m.warm(ctx, q, rec.ID); err != nil {
					m.log.Debug("pre-fetch of session failed", "session", rec.SessionID, "err", err)
				}
			}
			return nil, nil
		})
	})
}

// prefetchParents brings the parent chain of rec up to the first tier.
func (m *Engine) prefetchParents(ctx context.Context, rec driver.Record) {
	hot := m.chain[0]
	parent := rec.ParentID
	for range prefetchParents {
		if parent == "" {
			return
		}
		if _, ok, err := hot.get(ctx, parent); err != nil || ok {
			return // already hot, or the first tier is busy: stop here
		}
		var found *driver.Record
		since := m.coh.since()
		for _, l := range m.chain[1:] {
			r, ok, err := l.get(ctx, parent)
			if err == nil && ok {
				found = &r
				break
			}
		}
		if found == nil {
			return
		}
		if ok, err := m.bringUp(ctx, *found, since); err != nil || !ok {
			return
		}
		parent = found.ParentID
	}
}

// bringUp copies a lower copy to the first tier, unless the frame was
// deleted: the check and the write happen under the frame's lock, so a
// concurrent Delete cannot be undone. since is coherence.since, taken
// before r was read below.
func (m *Engine) bringUp(ctx context.Context, r driver.Record, since uint64) (bool, error) {
	if !m.roomFor(ctx, r.Size) {
		return false, nil
	}
	defer m.locks.lock(r.ID)()
	if m.isDeleted(r.ID, r.Version) {
		return false, nil
	}
	if err := m.chain[0].put(ctx, m.promotedCopy(r)); err != nil {
		return false, err
	}
	// Hysteresis, as for a promotion: the frame does not go straight
	// back down.
	m.up.add(r.ID, r.Size, m.now())
	m.hot.add(1, r.Size)
	m.noteShared(ctx, r, since)
	return true, nil
}

// promotedCopy prepares a lower copy for the first tier: same version, so
// the lower durable copy still counts as a copy of it, and a fresh access
// time, so it is not the next to be demoted.
func (m *Engine) promotedCopy(r driver.Record) driver.Record {
	r.LastAccess = m.now().UTC()
	r.AccessCount = max(r.AccessCount, 1)
	r.LFUKey = driver.NewLFUKey(r.LastAccess, r.AccessCount)
	r.Compressed = nil
	return r
}
