package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Copies brought up to the first tier (by promotion, pre-fetch or Warm)
// hold a bounded share of its limits (Config.BroughtUpShare), and are not
// demoted again for one promotion window (hysteresis), unless the tier
// cannot get back under its limits otherwise: limits win over
// preferences.

// broughtUp tracks the copies brought up that the first tier still holds.
// It is per process: a copy another process brought up counts as an
// ordinary frame here.
type broughtUp struct {
	mu     sync.Mutex
	copies map[string]upCopy
	bytes  int64
}

type upCopy struct {
	at   time.Time
	size int64
}

func newBroughtUp() *broughtUp { return &broughtUp{copies: map[string]upCopy{}} }

// add records that the frame id, of size bytes, came up at now.
func (b *broughtUp) add(id string, size int64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes += size - b.copies[id].size
	b.copies[id] = upCopy{at: now, size: size}
}

// remove forgets the frames: they left the first tier, or were written
// there (a written frame is the host's, not a copy).
func (b *broughtUp) remove(ids ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		b.bytes -= b.copies[id].size
		delete(b.copies, id)
	}
}

// usage returns how many copies are held and their size.
func (b *broughtUp) usage() (frames int, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.copies), b.bytes
}

// counts returns how many copies are held, and how many of them came up
// less than window ago.
func (b *broughtUp) counts(now time.Time, window time.Duration) (held, protected int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.copies {
		if now.Sub(c.at) < window {
			protected++
		}
	}
	return len(b.copies), protected
}

// protected reports whether the frame came up less than window ago.
func (b *broughtUp) protected(id string, now time.Time, window time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.copies[id]
	return ok && now.Sub(c.at) < window
}

// hotUsage is an estimate of what the first tier holds, between two
// maintenance cycles: the tier's own count at the last cycle, plus what
// was written or brought up since, minus what left. Frames rewritten count
// again, so it errs on the high side, which only makes the loop run a
// little early.
type hotUsage struct {
	frames, bytes atomic.Int64
}

func (h *hotUsage) set(u driver.Usage) { h.frames.Store(u.Frames); h.bytes.Store(u.Bytes) }
func (h *hotUsage) add(frames, bytes int64) {
	h.frames.Add(frames)
	h.bytes.Add(bytes)
}
func (h *hotUsage) get() driver.Usage {
	return driver.Usage{Frames: h.frames.Load(), Bytes: h.bytes.Load()}
}

// lowWater is the share of its limits a tier over them is brought back
// to: the room left below the limits takes the writes and the copies
// brought up until the next cycle, so the tier does not sit on its limit
// and demote a few frames on every write.
const lowWater = 0.95

// roomFor reports whether a copy of size bytes may come up to the first
// tier now. The copies brought up stay within their share of the tier's
// limits; and a copy never takes the tier over its limits: when the tier
// is full, frames whose copies below are in place already make room (a
// local delete each, in the order of the policy), else nothing comes up.
func (m *Engine) roomFor(ctx context.Context, size int64) bool {
	lim := m.chain[0].limits
	n, bytes := m.up.usage()
	if lim.MaxFrames > 0 && int64(n+1) > shareOf(lim.MaxFrames, m.cfg.BroughtUpShare) {
		return false
	}
	if lim.MaxBytes > 0 && bytes+size > shareOf(lim.MaxBytes, m.cfg.BroughtUpShare) {
		return false
	}
	u := m.hot.get()
	full := (lim.MaxFrames > 0 && u.Frames+1 > lim.MaxFrames) || (lim.MaxBytes > 0 && u.Bytes+size > lim.MaxBytes)
	if full || !m.hotMeasured.Load() {
		if fresh, err := m.chain[0].usage(ctx); err == nil {
			m.hot.set(fresh)
			m.hotMeasured.Store(true)
			u = fresh
		}
	}
	need := 0
	if lim.MaxFrames > 0 && u.Frames+1 > lim.MaxFrames {
		need = int(u.Frames + 1 - lim.MaxFrames)
	}
	if lim.MaxBytes > 0 && u.Bytes+size > lim.MaxBytes {
		need = max(need, 1)
	}
	if need == 0 {
		return true
	}
	if need > moveBatchSize {
		return false // far over: the maintenance loop catches up first
	}
	return m.evictForRoom(ctx, need) >= need
}

// shareOf returns share of limit, at least one.
func shareOf(limit int64, share float64) int64 { return max(1, int64(share*float64(limit))) }

// evictForRoom drops up to n frames from the first tier whose copies below
// are in place, in the order of the policy, passing over copies brought up
// recently. It returns how many left.
func (m *Engine) evictForRoom(ctx context.Context, n int) int {
	hot := m.chain[0]
	p, _, ok := m.planMove(hot, 2)
	if !ok {
		return 0
	}
	protected, _ := m.up.usage()
	cands, err := hot.candidates(ctx, driver.CandidateQuery{Policy: m.cfg.Policy, Limit: n + protected})
	if err != nil {
		return 0
	}
	ids, _ := m.pickVictims(hot, cands, n, false)
	victims := make([]driver.Record, 0, len(ids))
	byID := make(map[string]driver.Meta, len(cands))
	for _, c := range cands {
		byID[c.ID] = c
	}
	for _, id := range ids {
		victims = append(victims, driver.Record{Meta: byID[id]})
	}
	placed, _, err := m.splitInPlace(ctx, p.targets(), victims)
	if err != nil || len(placed) == 0 {
		return 0
	}
	done, _ := m.dropSource(ctx, p, placed)
	var freed int64
	for _, r := range placed {
		freed += r.Size
	}
	m.hot.add(-int64(done), -freed)
	m.stats.evicted(int64(done))
	m.stats.moved(1, p.to.level, int64(done))
	return done
}

// noteHotWrite accounts frames written to the first tier, and wakes the
// maintenance loop when they take it over its limits.
func (m *Engine) noteHotWrite(frames, bytes int64) {
	m.hot.add(frames, bytes)
	if overLimits(m.hot.get(), m.chain[0].limits) > 0 {
		m.wakeMaintenance()
	}
}

// wakeMaintenance asks the maintenance loop for a cycle now (the loop
// still keeps within its CPU budget).
func (m *Engine) wakeMaintenance() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
