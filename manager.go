package tier

import (
	"context"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/engine"
	"github.com/stackmemoryai/tier/internal/state"
)

// Manager keeps frames in a chain of tiers and moves them between tiers. It
// is the type a host uses; the host never needs to know which tier holds a
// frame.
//
// A Manager is safe for concurrent use by multiple goroutines. Several
// processes may open Managers over the same tiers and state file; one of
// them at a time runs the background movement.
type Manager struct {
	e            *engine.Engine
	hooks        Hooks
	maxFrameSize int64
}

// Open opens every tier of cfg.Tiers and returns a Manager over them.
//
// Open validates cfg first; a bad config changes nothing anywhere. A tier
// below the first that cannot be reached does not stop Open: the Manager
// starts without it (local-only mode) and connects when it comes up. If a
// tier fails to open otherwise, the tiers already opened are closed again.
func Open(ctx context.Context, cfg Config) (*Manager, error) {
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ecfg := engine.Config{
		PromotionThreshold: cfg.PromotionThreshold,
		PromotionWindow:    cfg.PromotionWindow,
		NoPromotion:        cfg.NoPromotion,
		NoPrefetch:         cfg.NoPrefetch,
		BroughtUpShare:     cfg.BroughtUpShare,
		NoReplication:      cfg.NoReplication,
		ReplicationLag:     cfg.ReplicationLag,
		Policy:             cfg.EvictionStrategy,
		Background:         !cfg.ManualMaintenance,
		SyncInterval:       cfg.SyncInterval,
		BreakerCooldown:    cfg.BreakerCooldown,
		StatePath:          cfg.StatePath,
		Logger:             cfg.Logger,
		Hooks:              engineHooks(cfg.Hooks),
	}
	if ecfg.StatePath == "" {
		ecfg.StatePath = state.Memory
	}
	for _, s := range cfg.Tiers {
		es := engine.TierSpec{
			Name:    s.Name,
			Tier:    s.Tier,
			Open:    s.Open,
			Scheme:  s.Scheme,
			Limits:  engine.Limits(s.Limits),
			Timeout: s.Timeout,
		}
		if s.Tier == nil && s.Open == nil {
			url := s.URL
			scheme, err := schemeOf(url)
			if err != nil {
				return nil, err
			}
			es.Scheme = scheme
			es.Open = func(ctx context.Context) (driver.Tier, error) { return OpenTier(ctx, url) }
		}
		ecfg.Tiers = append(ecfg.Tiers, es)
	}
	e, err := engine.Open(ctx, ecfg)
	if err != nil {
		return nil, err
	}
	m := &Manager{e: e, hooks: cfg.Hooks}
	if m.maxFrameSize, err = frameSizeLimit(cfg.MaxFrameSize, e.MaxFrameSize()); err != nil {
		_ = e.Close()
		return nil, err
	}
	return m, nil
}

// frameSizeLimit picks the largest document Put accepts: the configured
// size (default DefaultMaxFrameSize), which no tier may be unable to hold.
func frameSizeLimit(configured, chainMax int64) (int64, error) {
	if configured == 0 {
		if chainMax > 0 && chainMax < DefaultMaxFrameSize {
			return chainMax, nil
		}
		return DefaultMaxFrameSize, nil
	}
	if chainMax > 0 && configured > chainMax {
		return 0, fmt.Errorf("%w: %w", ErrBadConfig, &FieldError{Field: "Config.MaxFrameSize",
			Reason: fmt.Sprintf("%d bytes is more than a tier of the chain can store (%d)", configured, chainMax)})
	}
	return configured, nil
}

// New returns a Manager over tiers that are already open, first (hottest)
// to last, with the movement settings of cfg (its Tiers are replaced). The
// Manager closes the tiers on Close.
func New(ctx context.Context, cfg Config, tiers ...TierSpec) (*Manager, error) {
	if len(tiers) == 0 {
		return nil, fmt.Errorf("%w: New needs at least one tier", ErrBadConfig)
	}
	for i, t := range tiers {
		if t.Tier == nil {
			return nil, fmt.Errorf("%w: New: tier %d is not open (use Open with Config.Tiers for URLs)", ErrBadConfig, i+1)
		}
	}
	cfg.Tiers = tiers
	return Open(ctx, cfg)
}

// Close flushes buffered access statistics, stops background work, waits
// for running operations and closes every tier. A second Close returns
// ErrClosed.
func (m *Manager) Close() error { return m.e.Close() }

// As sets target to the native client of the tier at level (1 is the
// first), in the spirit of gocloud.dev's As, and reports whether it could.
// Each driver documents the types it accepts: sqlitedriver a **sqlx.DB,
// redisdriver a *rueidis.Client, pgdriver a **pgxpool.Pool. It is for a
// host's own queries next to the library's; what the host writes through
// the client is outside every promise of the Manager (versions,
// checksums, moves). The client stays the Manager's: do not close it.
func (m *Manager) As(level int, target any) bool { return m.e.As(level, target) }

// Levels returns the number of tiers in the chain.
func (m *Manager) Levels() int { return m.e.Levels() }

// start tells Hooks.Start that an operation begins, and returns the
// context for the tiers and the function that ends it.
func (m *Manager) start(ctx context.Context, op, frameID string) (context.Context, func(End)) {
	if m.hooks.Start == nil {
		return ctx, func(End) {}
	}
	return m.hooks.Start(ctx, op, frameID)
}

// engineHooks adapts the host's hooks to the engine's.
func engineHooks(h Hooks) engine.Hooks {
	eh := engine.Hooks{OnMove: h.OnMove, OnBreaker: h.OnBreaker}
	if h.Start != nil {
		eh.Start = func(ctx context.Context, op, frameID string) (context.Context, func(engine.End)) {
			ctx, end := h.Start(ctx, op, frameID)
			return ctx, func(e engine.End) { end(End(e)) }
		}
	}
	if h.OnCall != nil {
		eh.OnCall = func(ctx context.Context, c engine.Call) { h.OnCall(ctx, Call(c)) }
	}
	return eh
}
