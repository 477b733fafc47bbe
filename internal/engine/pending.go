package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// A tier below the first that cannot be reached when the Manager opens does
// not stop it: the Manager starts in local-only mode with a pendingTier in
// that place, and connects in the background when the tier comes up. Until
// then the tier counts as down (ErrUnavailable) and not durable, so no move
// relies on it.

// reconnectEvery is how often the background loop tries to open a pending
// tier.
const reconnectEvery = 5 * time.Second

// pendingTier stands in for a tier that could not be opened.
type pendingTier struct {
	mu     sync.Mutex
	cause  error
	closed bool
}

var _ driver.Tier = (*pendingTier)(nil)

func (p *pendingTier) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return driver.ErrClosed
	}
	return fmt.Errorf("%w: not connected yet: %v", ErrUnavailable, p.cause)
}

func (p *pendingTier) Durable() bool { return false }
func (p *pendingTier) Get(context.Context, string) (driver.Record, bool, error) {
	return driver.Record{}, false, p.err()
}
func (p *pendingTier) Put(context.Context, driver.Record) error     { return p.err() }
func (p *pendingTier) Delete(context.Context, string, uint64) error { return p.err() }
func (p *pendingTier) Touch(context.Context, []driver.Access) error { return p.err() }
func (p *pendingTier) Usage(context.Context) (driver.Usage, error)  { return driver.Usage{}, p.err() }
func (p *pendingTier) Candidates(context.Context, driver.CandidateQuery) ([]driver.Meta, error) {
	return nil, p.err()
}
func (p *pendingTier) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return driver.ErrClosed
	}
	p.closed = true
	return nil
}

// openOrPend opens the tier of spec; a tier below the first that is
// unavailable is replaced by a pendingTier instead of failing.
func openOrPend(ctx context.Context, level int, spec TierSpec) (driver.Tier, error) {
	t, err := spec.Open(ctx)
	if err == nil || level == 1 || !errors.Is(err, ErrUnavailable) {
		return t, err
	}
	return &pendingTier{cause: err}, nil
}

// isPending reports whether l still waits for its tier.
func (l *link) isPending() bool {
	_, ok := l.h().tier.(*pendingTier)
	return ok
}

// reconnect tries once to open the pending tiers of the chain.
func (m *Engine) reconnect(ctx context.Context) {
	for _, l := range m.chain {
		if !l.isPending() || l.open == nil {
			continue
		}
		octx, cancel := context.WithTimeout(ctx, max(l.timeout, time.Second))
		t, err := l.open(octx)
		cancel()
		if err != nil {
			m.log.Debug("tier still unavailable", "tier", l.name, "err", err)
			continue
		}
		old := l.h().tier
		l.cur.Store(newHandle(t, l.newBreaker()))
		_ = old.Close()
		m.log.Info("tier connected", "tier", l.name)
		if m.cfg.Hooks.OnBreaker != nil {
			m.cfg.Hooks.OnBreaker(l.level, l.name, "closed")
		}
	}
}
