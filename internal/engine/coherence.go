package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/stackmemoryai/tier/driver"
)

// Several machines share the tiers below the first, each with a first
// tier of its own. A first-tier copy that another machine has since
// updated or deleted in the shared tiers must not be served: the shared
// tiers that can tell of changes (driver.Notifier: Redis client tracking,
// PostgreSQL LISTEN/NOTIFY) invalidate the copies they name, and a copy is
// served from the first tier only once it is known to be fresh: validated
// (its version compared with the shared tiers', in batch) since the last
// time notifications may have been missed. Copies known to be fresh cost a
// map lookup on the read path; the others cost one metadata read below,
// once.
//
// With no tier that can notify, the first tier is served as it is: the
// engine then assumes no other machine writes the shared tiers.

// coherence tracks which first-tier copies are known to be fresh.
type coherence struct {
	enabled atomic.Bool   // a shared tier notifies
	epoch   atomic.Uint64 // bumped whenever notifications may have been missed

	mu    sync.Mutex
	fresh map[string]uint64 // frame -> epoch it was validated in
	// named holds the frames change notifications named since they were
	// last known fresh, each with the sequence number of its last naming
	// (seq counts namings). Past maxNamed entries the older half is
	// dropped, and floor is raised to the newest number dropped.
	named map[string]uint64
	seq   uint64
	floor uint64
	live  map[int]bool // level -> subscription up
	// recheck holds the frames notifications named that one background
	// task (while draining is set) compares with the shared tiers.
	recheck  map[string]bool
	draining bool

	invalidations atomic.Int64
	revalidations atomic.Int64
	dropped       atomic.Int64 // stale or deleted copies removed
}

func newCoherence() *coherence {
	c := &coherence{fresh: map[string]uint64{}, named: map[string]uint64{}, live: map[int]bool{}, recheck: map[string]bool{}}
	c.epoch.Store(1)
	return c
}

func (c *coherence) isFresh(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, up := range c.live {
		if !up {
			return false // a channel is down: changes may be missed now
		}
	}
	e, ok := c.fresh[id]
	return ok && e == c.epoch.Load()
}

func (c *coherence) mark(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fresh[id] = c.epoch.Load()
	delete(c.named, id)
}

// since returns a mark to take before a copy is read below to be brought
// up to the first tier, for markBroughtUp.
func (c *coherence) since() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// markBroughtUp marks a copy brought up from below fresh, unless a change
// notification named the frame after since (taken before the copy was
// read below). A change made elsewhere between that read and the write to
// the first tier was notified while there was no copy to drop: marking
// this one fresh would hide it, so it is compared with the shared tiers
// on its next read instead (one metadata read). When names after since
// may have been dropped (since is below floor), the copy is not marked
// either.
func (c *coherence) markBroughtUp(id string, since uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if since < c.floor || c.named[id] > since {
		return
	}
	c.fresh[id] = c.epoch.Load()
	delete(c.named, id)
}

// name records that a change notification named the frames: they may
// have been updated or deleted elsewhere.
func (c *coherence) name(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.fresh, id)
		c.seq++
		c.named[id] = c.seq
	}
	if len(c.named) > maxNamed {
		c.prune()
	}
}

// prune drops the older half of the names: those numbered up to seq -
// maxNamed/2 (at most maxNamed/2 names are newer, as each naming has its
// own number); c.mu is held.
func (c *coherence) prune() {
	c.floor = c.seq - maxNamed/2
	for id, n := range c.named {
		if n <= c.floor {
			delete(c.named, id)
		}
	}
}

// wasNamed reports whether a notification named the frame since it was
// last known fresh (as far as the names kept tell).
func (c *coherence) wasNamed(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.named[id] > 0
}

// maxNamed bounds the frames remembered as named. A name dropped past it
// was older than maxNamed/2 others: a copy being brought up meanwhile is
// not marked fresh, and a deletion elsewhere of a frame whose durable tier
// keeps no tombstones waits for the next notification of the frame.
const maxNamed = 100000

func (c *coherence) forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.fresh, id)
		delete(c.named, id)
	}
}

// reset makes every copy unvalidated.
func (c *coherence) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	clear(c.fresh)
}

func (c *coherence) setLive(level int, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live[level] = up
}

// channel describes the invalidation channels: "live", "down", or "none"
// when no shared tier notifies.
func (c *coherence) channel() string {
	if !c.enabled.Load() {
		return "none"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, up := range c.live {
		if !up {
			return "down"
		}
	}
	return "live"
}

// subscribe listens to the changes of every shared tier that can tell of
// them and is not listened to yet. A tier that cannot be subscribed to now
// is tried again with the reconnections.
func (m *Engine) subscribe(ctx context.Context) {
	for _, l := range m.chain[1:] {
		n := l.h().notifier
		if n == nil || l.isPending() {
			continue
		}
		m.coh.enabled.Store(true)
		m.coh.mu.Lock()
		up := m.coh.live[l.level]
		m.coh.mu.Unlock()
		if up {
			continue
		}
		err := n.Subscribe(ctx, func(c driver.Change) { m.onChange(l, c) })
		if err != nil {
			m.log.Debug("cannot listen to changes; copies are revalidated before use", "tier", l.name, "err", err)
			continue
		}
		m.coh.setLive(l.level, true)
		// What changed before the subscription started is unknown.
		m.coh.reset()
		m.goBackground(m.revalidateAll)
	}
}

// onChange handles a notification of a shared tier.
func (m *Engine) onChange(l *link, c driver.Change) {
	if c.Reset && c.Lost {
		m.coh.setLive(l.level, false)
		m.coh.reset()
		return
	}
	if c.Reset {
		m.coh.setLive(l.level, true)
		m.coh.reset()
		m.log.Debug("change notifications may have been missed; revalidating the first tier", "tier", l.name)
		m.goBackground(m.revalidateAll)
		return
	}
	if len(c.IDs) == 0 {
		return
	}
	m.coh.name(c.IDs)
	m.coh.invalidations.Add(int64(len(c.IDs)))
	m.recheckNamed(c.IDs)
}

// recheckNamed has the first tier's copies of frames a notification named
// compared with the shared tiers in the background. One task drains what
// notifications name, however many arrive, so a burst of writes elsewhere
// does not take every background slot (promotions and pre-fetches need
// them too). A named copy is not served before it is revalidated (name
// made it not fresh), so a recheck that cannot start now loses nothing:
// the next notification, or the read, does it.
func (m *Engine) recheckNamed(ids []string) {
	m.coh.mu.Lock()
	for _, id := range ids {
		if len(m.coh.recheck) < maxNamed {
			m.coh.recheck[id] = true
		}
	}
	running := m.coh.draining
	m.coh.draining = true
	m.coh.mu.Unlock()
	if running {
		return
	}
	if !m.goBackground(m.drainRechecks) {
		m.coh.mu.Lock()
		m.coh.draining = false
		m.coh.mu.Unlock()
	}
}

// drainRechecks revalidates the named copies until none is left.
func (m *Engine) drainRechecks(ctx context.Context) {
	for {
		m.coh.mu.Lock()
		ids := make([]string, 0, min(len(m.coh.recheck), replicationBatch))
		for id := range m.coh.recheck {
			if len(ids) == cap(ids) {
				break
			}
			ids = append(ids, id)
			delete(m.coh.recheck, id)
		}
		if len(ids) == 0 || ctx.Err() != nil {
			m.coh.draining = false
			m.coh.mu.Unlock()
			return
		}
		m.coh.mu.Unlock()
		recs, err := m.chain[0].metas(ctx, ids)
		if err != nil || len(recs) == 0 {
			continue
		}
		copies := make([]driver.Meta, 0, len(recs))
		for _, mt := range recs {
			copies = append(copies, mt)
		}
		_, _ = m.revalidate(ctx, copies, true)
	}
}

// revalidateAll compares every first-tier copy with the shared tiers, in
// batches.
func (m *Engine) revalidateAll(ctx context.Context) {
	err := m.chain[0].eachFrame(ctx, listFilter{}, func(metas []driver.Meta) error {
		_, err := m.revalidate(ctx, metas, false)
		return err
	})
	if err != nil && ctx.Err() == nil {
		m.log.Debug("revalidation of the first tier stopped; copies are checked when read", "err", err)
	}
}

// revalidate compares first-tier copies with the shared tiers. A copy the
// shared tiers hold in a newer version is dropped from the first tier and
// returned in stale; so is one they no longer hold though they held its
// version, when notified says a change notification named it (deleted on
// another machine). The others are fresh. When a shared
// tier cannot be asked, nothing is concluded and the error is returned.
func (m *Engine) revalidate(ctx context.Context, copies []driver.Meta, notified bool) (stale map[string]bool, err error) {
	hot := m.chain[0]
	p, _, ok := m.planMove(hot, 2)
	if !ok || len(copies) == 0 {
		return nil, nil
	}
	epoch := m.coh.epoch.Load()
	ids := make([]string, len(copies))
	for i, c := range copies {
		ids[i] = c.ID
	}
	targets := p.targets()
	below := make(map[string]uint64, len(ids)) // newest version below
	durable := map[string]bool{}               // held by the durable target
	var buried map[string]uint64               // deleted below, at the copy's version or later
	remembers := false                         // the durable target keeps tombstones
	for _, t := range targets {
		metas, err := t.metas(ctx, ids)
		if err != nil {
			if !t.h().durable {
				continue // the durable tier below decides alone
			}
			return nil, err
		}
		for id, mt := range metas {
			below[id] = max(below[id], mt.Version)
			if t.h().durable {
				durable[id] = true
			}
		}
		if t.h().durable {
			remembers = t.h().tombs != nil
			if buried, err = t.buried(ctx, copies, metas); err != nil {
				return nil, err
			}
		}
	}
	shared, err := m.state.SharedVersions(ctx, ids)
	if err != nil {
		return nil, err
	}
	m.coh.revalidations.Add(int64(len(copies)))
	stale = map[string]bool{}
	for _, c := range copies {
		v, held := below[c.ID]
		if held {
			m.clock.observe(v)
		}
		switch {
		case held && v > c.Version:
			stale[c.ID] = true // updated on another machine
		case !durable[c.ID] && m.deletedBelow(c.ID, buried) && !m.repl.has(c.ID):
			stale[c.ID] = true // deleted on another machine, which left a tombstone
		case !remembers && (notified || m.coh.wasNamed(c.ID)) && !durable[c.ID] && shared[c.ID] >= c.Version && shared[c.ID] > 0 && !m.repl.has(c.ID):
			// Deleted on another machine, where the durable tier keeps no
			// tombstones: a notification named the frame and the durable
			// tier no longer holds the version it held. Without that
			// evidence a missing frame is not taken as deleted (a restored
			// or replaced database must not make the first tier drop
			// frames it alone holds). A tier that keeps tombstones says
			// so itself (the case above); a frame it lacks without one
			// moved further down or was lost, and is kept.
			stale[c.ID] = true
		default:
			if m.coh.epoch.Load() == epoch {
				m.coh.mark(c.ID)
			}
		}
	}
	var errs []error
	for _, c := range copies {
		if !stale[c.ID] {
			continue
		}
		unlock := m.locks.lock(c.ID)
		err := hot.delete(ctx, c.ID, c.Version)
		unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.coh.forget(c.ID)
		m.up.remove(c.ID)
		m.coh.dropped.Add(1)
		if err := m.state.ForgetShared(ctx, []string{c.ID}); err != nil {
			m.log.Debug("shared version not forgotten", "frame", c.ID, "err", err)
		}
	}
	return stale, errors.Join(errs...)
}

// checkFresh makes sure the first tier's copy rec may be served: it is
// known fresh, or it is revalidated now. It reports false when the copy
// was stale (and dropped): the frame must be read from below. When the
// shared tiers cannot be asked, the copy is served (local-first).
func (m *Engine) checkFresh(ctx context.Context, rec driver.Record) bool {
	if !m.coh.enabled.Load() || m.coh.isFresh(rec.ID) {
		return true
	}
	stale, err := m.revalidate(ctx, []driver.Meta{rec.Meta}, false)
	if err != nil {
		m.log.Debug("copy served without revalidation: the shared tiers cannot be asked", "frame", rec.ID, "err", err)
		return true
	}
	return !stale[rec.ID]
}
