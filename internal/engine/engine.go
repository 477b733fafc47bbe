package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier/internal/state"
	"golang.org/x/sync/singleflight"
)

// Engine keeps frames in a chain of tiers and moves them between tiers:
// the machinery behind tier.Manager, in the vocabulary of package driver.
// Validation of what hosts give, and the portable types, live in the
// portable package; the engine trusts its caller.
//
// An Engine is safe for concurrent use by multiple goroutines. Several
// processes may run Engines on the same state file; one of them at a time
// runs the background movement.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	chain []*link
	clock versionClock
	now   func() time.Time

	reads       *readBuffer
	promoter    *promoter
	up          *broughtUp    // copies brought up that the first tier holds
	hot         hotUsage      // estimate of the first tier's usage
	wake        chan struct{} // asks the maintenance loop for a cycle now
	repl        *replicator   // writes on their way to the shared tiers
	coh         *coherence    // which first-tier copies are known fresh
	reconciled  atomic.Bool   // the first tier was compared with the shared tiers
	hotMeasured atomic.Bool   // hot was measured by this process
	// replMu keeps a replication batch and a move out of the first tier
	// apart, so a batch read before a move never lands after it.
	replMu sync.Mutex

	// mu guards closed. Operations hold it for reading while they run, so
	// Close waits for them.
	mu     sync.RWMutex
	closed bool

	stats  *statsRecorder
	locks  frameLocks
	gone   *tombstones
	state  *state.Store
	owner  string            // this engine's name in the mover lease
	onStep func(step string) // test hook, called after each step of a move

	fetches    singleflight.Group // concurrent Gets of one frame below tier 1
	prefetches singleflight.Group // pre-fetches, one per session at a time

	stop       context.CancelFunc // stops the background loops
	taskCtx    context.Context    // context of one-off background tasks
	stopTasks  context.CancelFunc // cancels taskCtx
	bgSlots    chan struct{}      // bounds one-off background tasks
	bgDone     sync.WaitGroup
	bgMu       sync.Mutex
	bgStopping bool
}

// Open opens every tier of cfg that is not open yet and starts the
// engine. A tier below the first that is unavailable is connected later
// in the background. If a tier fails to open otherwise, the tiers already
// opened are closed again.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	var links []*link
	stats := newStatsRecorder(len(cfg.Tiers), cfg.Hooks.OnMove)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	fail := func(err error) (*Engine, error) {
		for _, l := range links {
			_ = l.close()
		}
		return nil, err
	}
	for i, s := range cfg.Tiers {
		if s.Tier == nil {
			t, err := openOrPend(ctx, i+1, s)
			if err != nil {
				return fail(fmt.Errorf("tier %d: %w", i+1, err))
			}
			s.Tier = t
		}
		if s.Scheme == "" {
			s.Scheme = fmt.Sprintf("tier%d", i+1)
		}
		links = append(links, newLink(i+1, s, stats, cfg.BreakerCooldown, cfg.Logger, cfg.Hooks))
	}
	st, err := state.Open(ctx, cfg.StatePath)
	if err != nil {
		return fail(fmt.Errorf("%w: state file: %v", ErrBadConfig, err))
	}
	return newEngine(cfg, links, st, stats), nil
}

func newEngine(cfg Config, links []*link, st *state.Store, stats *statsRecorder) *Engine {
	m := &Engine{cfg: cfg, log: cfg.Logger, chain: links, now: time.Now, state: st, owner: ownerID()}
	m.reads = newReadBuffer()
	m.stats = stats
	m.gone = newTombstones()
	m.promoter = newPromoter(cfg.PromotionThreshold, cfg.PromotionWindow)
	m.up = newBroughtUp()
	m.wake = make(chan struct{}, 1)
	m.repl = newReplicator()
	m.coh = newCoherence()
	bg, stop := context.WithCancel(context.Background())
	m.stop = stop
	m.startBackground(bg)
	return m
}

// enter starts an operation: it fails with ErrClosed after Close. The
// caller must call m.leave when done.
func (m *Engine) enter() error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (m *Engine) leave() { m.mu.RUnlock() }

// Close flushes buffered access statistics, stops background work, waits
// for running operations and closes every tier. A second Close returns
// ErrClosed.
func (m *Engine) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	// No operation runs now, so no new background task can start.
	m.stopBackground()
	ctx, cancel := context.WithTimeout(context.Background(), closeFlushWithin)
	defer cancel()
	// Postponed deletes go out now if their tiers are back: another
	// machine may otherwise read a deleted frame from a shared tier until
	// a process of this state file replays them.
	m.replayOutbox(ctx)
	if m.replicates() {
		if err := m.flushReplication(ctx); err != nil {
			// The first tier keeps every frame; the next process's first
			// maintenance cycle replicates them.
			m.log.Warn("writes not replicated at close; they stay in the first tier", "frames", m.repl.backlog(), "err", err)
		}
	}
	if err := m.flushReads(ctx); err != nil {
		// Read counts only order eviction: losing some is harmless.
		m.log.Debug("read statistics not flushed at close", "err", err)
	}
	var errs []error
	m.persistStats(ctx)
	for _, l := range m.chain {
		if err := l.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", l, err))
		}
	}
	if err := m.state.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close state store: %w", err))
	}
	return errors.Join(errs...)
}

// MaxFrameSize returns the smallest document limit stated by the tiers of
// the chain (driver.SizeLimiter), 0 when none states one.
func (m *Engine) MaxFrameSize() int64 {
	var limit int64
	for _, l := range m.chain {
		if lim := l.h().limiter; lim != nil {
			if n := lim.MaxFrameSize(); limit == 0 || n < limit {
				limit = n
			}
		}
	}
	return limit
}

// Now returns the engine's clock (a test may set it).
func (m *Engine) Now() time.Time { return m.now() }

// As hands the native client of the tier at level to target.
func (m *Engine) As(level int, target any) bool {
	if level < 1 || level > len(m.chain) {
		return false
	}
	return m.chain[level-1].as(target)
}

// Levels returns the number of tiers in the chain.
func (m *Engine) Levels() int { return len(m.chain) }
