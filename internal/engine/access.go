package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// readFlushSize is how many distinct frames the read buffer holds before
// it is flushed without waiting for the next tick.
const (
	readFlushSize     = 512
	readFlushInterval = time.Second
	// accessGranularity is the precision of recorded access times: a read
	// within this long of the access a tier has recorded is not recorded
	// again (like relatime in file systems). It keeps popular frames from
	// turning reads into a stream of writes.
	accessGranularity = 30 * time.Second
)

// readBuffer collects reads so that Get never turns into a write: the
// counts reach the tiers in one Touch per tier per flush.
type readBuffer struct {
	mu     sync.Mutex
	byTier map[int]map[string]driver.Access // level -> frame -> reads
	n      int
}

func newReadBuffer() *readBuffer {
	return &readBuffer{byTier: map[int]map[string]driver.Access{}}
}

// add records one read; it reports whether the buffer is due for a flush.
func (b *readBuffer) add(level int, id string, at time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.byTier[level]
	if m == nil {
		m = map[string]driver.Access{}
		b.byTier[level] = m
	}
	a, seen := m[id]
	if !seen {
		b.n++
	}
	m[id] = driver.Access{ID: id, At: at, Count: a.Count + 1}
	return b.n >= readFlushSize
}

// take empties the buffer and returns what it held.
func (b *readBuffer) take() map[int]map[string]driver.Access {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.byTier
	b.byTier, b.n = map[int]map[string]driver.Access{}, 0
	return out
}

// noteRead records a read served by l, and asks for a promotion when a
// frame of a lower tier is read often enough.
func (m *Engine) noteRead(l *link, rec driver.Record) {
	now := m.now()
	if now.Sub(rec.LastAccess) >= accessGranularity && m.reads.add(l.level, rec.ID, now) {
		m.goBackground(func(ctx context.Context) {
			if err := m.flushReads(ctx); err != nil {
				m.log.Debug("flush of read statistics failed", "err", err)
			}
		})
	}
	m.stats.read(l.level)
	if l.level > 1 && !m.cfg.NoPromotion && m.promoter.shouldPromote(rec.ID, now) {
		m.goBackground(func(ctx context.Context) { m.promote(ctx, rec, l) })
	}
}

// flushReads hands buffered reads to the tiers. Reads of a tier that
// cannot be reached are dropped: they only order eviction.
func (m *Engine) flushReads(ctx context.Context) error {
	var errs []error
	for level, hits := range m.reads.take() {
		l := m.chain[level-1]
		batch := make([]driver.Access, 0, len(hits))
		for _, a := range hits {
			batch = append(batch, a)
		}
		err := l.touch(ctx, batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("touch %s: %w", l, err))
		}
	}
	return errors.Join(errs...)
}
