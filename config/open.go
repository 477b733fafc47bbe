package config

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/pgdriver"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// ConnectTimeout bounds how long Open waits for Redis or PostgreSQL to
// answer before it starts without them; they are connected in parallel.
// The drivers' own dial and connect settings (dial_timeout,
// connect_timeout) apply within it.
const ConnectTimeout = 5 * time.Second

// Open opens a Manager over the chain c describes: tier 1 (SQLite, or an
// upstream context.db), then Redis and PostgreSQL when they are on. It
// needs no other import.
//
// Open validates c first, every connection string and path included, then
// connects to PostgreSQL and Redis before it opens tier 1, so a bad config,
// an unknown database or refused credentials leave nothing on disk: those
// errors wrap tier.ErrBadConfig (and driver.ErrBadDSN) and name the field
// or environment variable to fix. A Redis or PostgreSQL that cannot be
// reached within ConnectTimeout does not stop Open: the Manager starts
// without it (local-only mode) and connects when it comes up.
func Open(ctx context.Context, c Config) (*tier.Manager, error) {
	tc, err := c.Tier()
	if err != nil {
		return nil, err
	}
	lower := tc.Tiers[1:]
	tiers := make([]driver.Tier, len(lower))
	errs := make([]error, len(lower))
	var wg sync.WaitGroup
	for i := range lower {
		wg.Go(func() { tiers[i], errs[i] = connect(ctx, lower[i].Open) })
	}
	wg.Wait()
	closeOpened := func() {
		for _, t := range tiers {
			if t != nil {
				_ = t.Close()
			}
		}
	}
	for i, err := range errs {
		switch {
		case err == nil:
			lower[i].Tier, lower[i].Open = tiers[i], nil
		case errors.Is(err, tier.ErrUnavailable):
			lower[i].Open = failedOnce(err, lower[i].Open)
		default:
			closeOpened()
			return nil, err
		}
	}
	m, err := tier.Open(ctx, tc)
	if err != nil {
		closeOpened()
		return nil, err
	}
	return m, nil
}

// connect opens a tier below the first within ConnectTimeout. Running out
// of that time is reported as the tier being unavailable; the end of ctx
// as ctx's error.
func connect(ctx context.Context, open func(context.Context) (driver.Tier, error)) (driver.Tier, error) {
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	t, err := open(cctx)
	// The caller's ctx still runs: a deadline that ended the open is ours
	// (or a driver's own), so the tier is unreachable, not refused.
	ours := cctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)
	if err != nil && ctx.Err() == nil && ours && !errors.Is(err, driver.ErrUnavailable) {
		err = fmt.Errorf("%w: no answer within %s: %w", driver.ErrUnavailable, ConnectTimeout, err)
	}
	return t, err
}

// failedOnce returns open, except that its first call returns err at
// once: the tier was just found unreachable, and the manager need not
// wait for it a second time before starting without it.
func failedOnce(err error, open func(context.Context) (driver.Tier, error)) func(context.Context) (driver.Tier, error) {
	var called atomic.Bool
	return func(ctx context.Context) (driver.Tier, error) {
		if !called.Swap(true) {
			return nil, err
		}
		return open(ctx)
	}
}

// Tier returns the tier.Config of the chain c describes, for a host that
// wants to adjust it before tier.Open. Each tier is opened by its driver's
// Open with the options built here (TierSpec.Open), and its Scheme names
// the driver in Status. Tier validates c like [Config.Validate] and reads
// (never writes) tier 1's file, to tell an upstream context.db from a
// SQLite file. tier.Open opens tier 1 first: use [Open] to have the
// connection strings of the lower tiers checked before any file is
// created.
func (c Config) Tier() (tier.Config, error) {
	pl, err := c.plan()
	if err != nil {
		return tier.Config{}, err
	}
	cc := pl.c
	specs := []tier.TierSpec{pl.hot.spec(cc)}
	if r := pl.redis; r != nil {
		specs = append(specs, r.spec())
	}
	if g := pl.postgres; g != nil {
		specs = append(specs, g.spec())
	}
	tc := tier.Config{
		Tiers:              specs,
		PromotionThreshold: cc.PromotionThreshold,
		PromotionWindow:    time.Duration(cc.PromotionWindow),
		NoPromotion:        cc.NoPromotion,
		NoPrefetch:         cc.NoPrefetch,
		BroughtUpShare:     cc.BroughtUpShare,
		EvictionStrategy:   cc.EvictionStrategy,
		ManualMaintenance:  !*cc.BackgroundSync,
		SyncInterval:       time.Duration(cc.SyncInterval),
		BreakerCooldown:    time.Duration(cc.BreakerCooldown),
		MaxFrameSize:       int64(cc.MaxFrameSize),
		StatePath:          pl.statePath,
		Logger:             cc.Logger,
		Hooks:              cc.Hooks,
	}
	if err := tc.Validate(); err != nil {
		return tier.Config{}, err
	}
	return tc, nil
}

// spec returns tier 1: package contextdb when the file is an upstream
// StackMemory context.db, sqlitedriver otherwise.
func (h hotPlan) spec(c Config) tier.TierSpec {
	s := tier.TierSpec{
		Name:   "sqlite",
		Scheme: sqlitedriver.Scheme,
		Limits: tier.Limits{
			MaxFrames: limitOf(c.SQLite.MaxFrames),
			MaxBytes:  limitOf(int64(c.SQLite.MaxSize)),
			MaxIdle:   time.Duration(limitOf(int64(c.SQLite.MaxAge))),
		},
	}
	if !h.contextDB {
		// A missing or unreadable file is not a context.db: sqlitedriver
		// creates the first and reports the second.
		if is, err := contextdb.IsContextDB(h.opts.Path); err == nil && is {
			h.contextDB = true
		}
	}
	if h.contextDB {
		s.Scheme = contextdb.Scheme
		opts := contextdb.Options{Path: h.opts.Path, BusyTimeout: h.opts.BusyTimeout, MaxConns: h.opts.MaxConns}
		s.Open = func(ctx context.Context) (driver.Tier, error) {
			st, err := contextdb.Open(ctx, opts)
			if err != nil {
				return nil, h.blame(err)
			}
			return st, nil
		}
		return s
	}
	opts := h.opts
	s.Open = func(ctx context.Context) (driver.Tier, error) {
		st, err := sqlitedriver.Open(ctx, opts)
		if err != nil {
			return nil, h.blame(err)
		}
		return st, nil
	}
	return s
}

func (h hotPlan) blame(err error) error { return blame(h.from, h.raw, err) }

func (r *redisPlan) spec() tier.TierSpec {
	opts := r.opts
	return tier.TierSpec{
		Name:   "redis",
		Scheme: r.scheme,
		Limits: r.limits,
		Open: func(ctx context.Context) (driver.Tier, error) {
			st, err := redisdriver.Open(ctx, opts)
			if err != nil {
				return nil, blame(r.from, r.raw, err)
			}
			return st, nil
		},
	}
}

func (g *postgresPlan) spec() tier.TierSpec {
	return tier.TierSpec{
		Name:   "postgres",
		Scheme: "postgres",
		Open: func(ctx context.Context) (driver.Tier, error) {
			opts := g.opts
			opts.Pool = g.opts.Pool.Copy() // a pool takes its config for itself
			st, err := pgdriver.Open(ctx, opts)
			if err != nil {
				return nil, blame(g.from, g.raw, err)
			}
			return st, nil
		},
	}
}

// blame names where a tier's connection string or path came from in an
// error of its driver. A string the driver refused (driver.ErrBadDSN: an
// unknown database, refused credentials, not a context.db) is a config
// error, wrapping tier.ErrBadConfig; other errors (unreachable, locked)
// keep their kind.
func blame(from, raw string, err error) error {
	if errors.Is(err, driver.ErrBadDSN) {
		return fmt.Errorf("%w: %w", tier.ErrBadConfig, fieldCause(from, raw, err))
	}
	return fmt.Errorf("%s %s: %w", from, quote(tier.Redact(raw)), err)
}
