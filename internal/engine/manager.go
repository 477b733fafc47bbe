package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/internal/state"
	"golang.org/x/sync/singleflight"
)

// Manager keeps frames in a chain of tiers and moves them between tiers. It
// is the type a host uses; the host never needs to know which tier holds a
// frame.
//
// A Manager is safe for concurrent use by multiple goroutines. Several
// processes may open Managers on the same SQLite file; one of them at a time
// runs the background movement.
type Manager struct {
	cfg   Config
	log   *slog.Logger
	chain []*link
	clock versionClock
	now   func() time.Time

	reads    *readBuffer
	promoter *promoter

	// mu guards closed. Operations hold it for reading while they run, so
	// Close waits for them.
	mu     sync.RWMutex
	closed bool

	stats  *statsRecorder
	locks  frameLocks
	gone   *tombstones
	state  *state.Store
	owner  string            // this manager's name in the mover lease
	onStep func(step string) // test hook, called after each step of a move

	fetches    singleflight.Group // concurrent Gets of one frame below tier 1
	prefetches singleflight.Group // pre-fetches, one per session at a time

	stuckMu sync.Mutex
	stuck   []string // why tiers over their limits cannot demote

	stop      context.CancelFunc // stops the background loops
	taskCtx   context.Context    // context of one-off background tasks
	stopTasks context.CancelFunc // cancels taskCtx
	bgSlots   chan struct{}      // bounds one-off background tasks
	bgDone    sync.WaitGroup
}

// Open opens every tier of cfg and returns a Manager over them. With a zero
// Config it opens the embedded default: SQLite at ~/.stackmemory/frames.db.
// Redis and PostgreSQL join the chain when their URLs are set (in cfg or in
// the environment through LoadConfig) and their driver packages are
// imported.
//
// Open validates cfg first; a bad config changes nothing on disk. If a tier
// fails to open, the tiers already opened are closed again.
func Open(ctx context.Context, cfg Config) (*Manager, error) {
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	specs, err := chainSpecs(cfg)
	if err != nil {
		return nil, err
	}
	var links []*link
	stats := newStatsRecorder(len(specs), cfg.Hooks.OnMove)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	fail := func(err error) (*Manager, error) {
		for _, l := range links {
			_ = l.h().tier.Close()
		}
		return nil, err
	}
	for i, s := range specs {
		scheme := s.Name
		if s.Tier == nil {
			if scheme, err = schemeOf(s.URL); err != nil {
				return fail(err)
			}
			if s.Tier, err = openOrPend(ctx, i+1, s); err != nil {
				return fail(fmt.Errorf("tier %d: %w", i+1, err))
			}
		}
		if scheme == "" {
			scheme = fmt.Sprintf("tier%d", i+1)
		}
		links = append(links, newLink(i+1, s, scheme, stats, time.Duration(cfg.BreakerCooldown), logger, cfg.Hooks))
	}
	statePath, err := statePathFor(cfg)
	if err != nil {
		return fail(err)
	}
	st, err := state.Open(ctx, statePath)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadConfig, err))
	}
	return newManager(cfg, links, st, stats), nil
}

// statePathFor picks the state file: Config.StatePath, else tier-state.db
// beside the SQLite file of a chain built from Config, else memory.
func statePathFor(cfg Config) (string, error) {
	switch {
	case cfg.StatePath != "":
		return expandHome(cfg.StatePath)
	case len(cfg.Chain) > 0:
		return state.Memory, nil
	case cfg.SQLite.Path != "":
		p, err := expandHome(cfg.SQLite.Path)
		return filepath.Join(filepath.Dir(p), "tier-state.db"), err
	}
	dir, err := DefaultDir()
	return filepath.Join(dir, "tier-state.db"), err
}

// expandHome replaces a leading "~/" with the home directory.
func expandHome(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadConfig, path, err)
	}
	return filepath.Join(home, rest), nil
}

// New returns a Manager over tiers that are already open, first (hottest)
// to last, with the movement settings of cfg (its tier sections and Chain
// are ignored). The Manager closes the tiers on Close.
func New(ctx context.Context, cfg Config, tiers ...TierSpec) (*Manager, error) {
	for i, t := range tiers {
		if t.Tier == nil {
			return nil, fmt.Errorf("%w: New: tier %d is not open (use Open with Config.Chain for URLs)", ErrBadConfig, i+1)
		}
	}
	if len(tiers) == 0 {
		return nil, fmt.Errorf("%w: New needs at least one tier", ErrBadConfig)
	}
	cfg.Chain = tiers
	return Open(ctx, cfg)
}

func newManager(cfg Config, links []*link, st *state.Store, stats *statsRecorder) *Manager {
	m := &Manager{cfg: cfg, log: cfg.Logger, chain: links, now: time.Now, state: st, owner: ownerID()}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.reads = newReadBuffer()
	m.stats = stats
	m.gone = newTombstones()
	m.promoter = newPromoter(cfg.PromotionThreshold, time.Duration(cfg.PromotionWindow))
	bg, stop := context.WithCancel(context.Background())
	m.stop = stop
	m.startBackground(bg)
	return m
}

// chainSpecs turns cfg into the list of tiers to open.
func chainSpecs(cfg Config) ([]TierSpec, error) {
	if len(cfg.Chain) > 0 {
		return cfg.Chain, nil
	}
	path, err := expandHome(cfg.SQLite.Path)
	if err != nil {
		return nil, err
	}
	hot, err := sqliteURL(path)
	if err != nil {
		return nil, err
	}
	specs := []TierSpec{{
		Name: "sqlite",
		URL:  hot,
		Limits: Limits{
			MaxFrames: cfg.SQLite.MaxFrames,
			MaxBytes:  int64(cfg.SQLite.MaxSize),
			MaxIdle:   time.Duration(cfg.SQLite.MaxAge),
		},
	}}
	if cfg.Redis.URL != "" {
		u, err := withParams(cfg.Redis.URL, map[string]string{
			"prefix": cfg.Redis.KeyPrefix,
			"ttl":    time.Duration(cfg.Redis.TTL).String(),
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, TierSpec{Name: "redis", URL: u, Timeout: time.Duration(cfg.Redis.Timeout), Limits: Limits{
			MaxBytes: int64(cfg.Redis.MaxSize),
			MaxIdle:  time.Duration(cfg.Redis.MaxAge),
		}})
	}
	if cfg.Postgres.URL != "" {
		// Brotli quality 0 and 1 are both "fastest"; the driver takes 1-11.
		params := map[string]string{"compression": fmt.Sprint(max(*cfg.Postgres.CompressionLevel, 1))}
		if cfg.Postgres.RetentionDays > 0 {
			params["retention_days"] = fmt.Sprint(cfg.Postgres.RetentionDays)
		}
		u, err := withParams(cfg.Postgres.URL, params)
		if err != nil {
			return nil, err
		}
		specs = append(specs, TierSpec{Name: "postgres", URL: u, Timeout: time.Duration(cfg.Postgres.Timeout)})
	}
	return specs, nil
}

// sqliteURL turns a file path into a sqlite: URL; "" means the driver's
// default file.
func sqliteURL(path string) (string, error) {
	if path == "" {
		return "sqlite://", nil
	}
	return (&url.URL{Scheme: "sqlite", Path: path}).String(), nil
}

// withParams adds query parameters the URL does not set already.
func withParams(raw string, params map[string]string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%w: %q is not a URL with a scheme", ErrBadConfig, Redact(raw))
	}
	q := u.Query()
	for k, v := range params {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// enter starts an operation: it fails with ErrClosed after Close. The
// caller must call m.leave when done.
func (m *Manager) enter() error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (m *Manager) leave() { m.mu.RUnlock() }

// Close flushes buffered access statistics, stops background work, waits
// for running operations and closes every tier. A second Close returns
// ErrClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	// No operation runs now, so no new background task can start.
	m.stopBackground()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.flushReads(ctx); err != nil {
		// Read counts only order eviction: losing some is harmless.
		m.log.Debug("read statistics not flushed at close", "err", err)
	}
	var errs []error
	m.persistStats(ctx)
	for _, l := range m.chain {
		if err := l.h().tier.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", l, err))
		}
	}
	if err := m.state.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close state store: %w", err))
	}
	return errors.Join(errs...)
}

// Levels returns the number of tiers in the chain.
func (m *Manager) Levels() int { return len(m.chain) }
