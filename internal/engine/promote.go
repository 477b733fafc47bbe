package engine

import (
	"context"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"golang.org/x/time/rate"
)

// Promotion limits: at most promotionRate frames a second come back to the
// first tier, and a promoted frame is not demoted again for one promotion
// window (hysteresis), so frames do not bounce between tiers.
const (
	promotionRate    = 50
	promoterCapacity = 10000
)

// promoter counts reads of frames served from lower tiers and decides when
// one has been read often enough to come back up.
type promoter struct {
	threshold int
	window    time.Duration
	limiter   *rate.Limiter

	mu    sync.Mutex
	reads map[string][]time.Time // frame -> reads within the window
}

func newPromoter(threshold int, window time.Duration) *promoter {
	return &promoter{
		threshold: threshold,
		window:    window,
		limiter:   rate.NewLimiter(promotionRate, promotionRate),
		reads:     map[string][]time.Time{},
	}
}

// shouldPromote records a read at now and reports whether the frame has
// reached the threshold (and the rate limit allows a promotion).
func (p *promoter) shouldPromote(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reads) >= promoterCapacity {
		p.prune(now)
	}
	cutoff := now.Add(-p.window)
	kept := p.reads[id][:0]
	for _, t := range p.reads[id] {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	if len(kept) < p.threshold || !p.limiter.AllowN(now, 1) {
		p.reads[id] = kept
		return false
	}
	// The reads are kept until the promotion is made (forget): one that
	// finds no room is tried again on the next read.
	p.reads[id] = kept
	return true
}

// prune drops reads older than the window; when every entry is recent, it
// drops all, which only delays some promotions.
func (p *promoter) prune(now time.Time) {
	cutoff := now.Add(-p.window)
	for id, ts := range p.reads {
		if len(ts) == 0 || !ts[len(ts)-1].After(cutoff) {
			delete(p.reads, id)
		}
	}
	if len(p.reads) >= promoterCapacity {
		clear(p.reads)
	}
}

func (p *promoter) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.reads, id)
}

// promote copies a frame read from a lower tier back to the first tier.
// The lower copies stay (the durable one, and the cache's, which other
// machines share), so demoting the frame again is a local delete while it
// is unchanged. The copy is conditional on version: if
// the frame was written meanwhile, the newer version in the first tier
// wins.
func (m *Engine) promote(ctx context.Context, rec driver.Record, from *link) {
	ctx, end := m.startOp(ctx, "move", rec.ID)
	moved := 0
	defer func() { end(End{Level: 1, Tier: m.chain[0].name, Frames: moved}) }()
	if !m.roomFor(ctx, rec.Size) {
		m.stats.add("promotions.skipped", 1)
		return
	}
	defer m.locks.lock(rec.ID)()
	// The frame may have been deleted or moved since it was read: promote
	// only what the source still holds.
	since := m.coh.since()
	if now, ok, err := from.get(ctx, rec.ID); err != nil || !ok || now.Version != rec.Version || m.isDeleted(rec.ID, rec.Version) {
		return
	}
	rec = m.promotedCopy(rec)
	rec.AccessCount = max(rec.AccessCount, int64(m.promoter.threshold))
	rec.LFUKey = driver.NewLFUKey(rec.LastAccess, rec.AccessCount)
	if err := m.chain[0].put(ctx, rec); err != nil {
		m.log.Warn("promotion failed", "frame", rec.ID, "from", from.name, "err", err)
		return
	}
	m.up.add(rec.ID, rec.Size, m.now())
	m.hot.add(1, rec.Size)
	m.noteShared(ctx, rec, since)
	m.stats.moved(from.level, 1, 1)
	m.promoter.forget(rec.ID)
	moved = 1
	m.log.Debug("promoted frame", "frame", rec.ID, "from", from.name)
}
