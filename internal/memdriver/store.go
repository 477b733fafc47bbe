package memdriver

import (
	"context"
	"fmt"
	"sync"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func init() { tier.Register("mem", Driver{}) }

// Driver opens in-memory tiers from "mem://" connection strings.
type Driver struct{}

// Open implements driver.Driver: ParseURL, then Open. On error the Tier is
// a nil interface.
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	o, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	t, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return t, nil
}

var (
	namedMu sync.Mutex
	named   = map[string]*store{}
)

// store holds the frames; several Tier handles may share one.
type store struct {
	durable bool
	mu      sync.RWMutex
	frames  map[string]driver.Record
	// buried holds the tombstones of Bury: frame -> deleted up to.
	buried map[string]uint64
	// fail, when set, is returned by every operation: tests use it to
	// simulate an unreachable tier.
	fail error
	// hub holds the subscriptions of Subscribe (notify.go).
	hub hub
}

func newStore(durable bool) *store {
	return &store{durable: durable, frames: map[string]driver.Record{}, buried: map[string]uint64{}}
}

// Tier is one handle on an in-memory store. It is safe for concurrent use.
type Tier struct {
	s      *store
	max    int64
	mu     sync.Mutex
	closed bool
	done   chan struct{} // closed by Close; made by the first Subscribe
}

var (
	_ driver.Tier         = (*Tier)(nil)
	_ driver.Batcher      = (*Tier)(nil)
	_ driver.BatchDeleter = (*Tier)(nil)
	_ driver.MetaGetter   = (*Tier)(nil)
	_ driver.Querier      = (*Tier)(nil)
	_ driver.Pinger       = (*Tier)(nil)
	_ driver.SizeLimiter  = (*Tier)(nil)
	_ driver.Tombstoner   = (*Tier)(nil)
)

// Open returns a tier on the store o names (a new private store when
// o.Name is empty). It fails only when ctx is done.
func Open(ctx context.Context, o Options) (*Tier, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memdriver: open: %w", err)
	}
	if o.MaxFrameSize < 0 {
		return nil, fmt.Errorf("%w: memdriver: MaxFrameSize %d is negative", driver.ErrBadDSN, o.MaxFrameSize)
	}
	if o.MaxFrameSize == 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.Name == "" {
		return &Tier{s: newStore(!o.NotDurable), max: o.MaxFrameSize}, nil
	}
	namedMu.Lock()
	defer namedMu.Unlock()
	s, ok := named[o.Name]
	if !ok {
		s = newStore(!o.NotDurable)
		named[o.Name] = s
	}
	return &Tier{s: s, max: o.MaxFrameSize}, nil
}

// New returns a private in-memory tier with the default size limit.
func New(durable bool) *Tier {
	return &Tier{s: newStore(durable), max: DefaultMaxFrameSize}
}

// check returns the error every call starts with, if any: ErrClosed after
// Close, the context's error once it is done, ErrUnavailable while a
// failure is set.
func (t *Tier) check(ctx context.Context, op string) error {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return fmt.Errorf("memdriver: %s: %w", op, driver.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memdriver: %s: %w", op, err)
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	if t.s.fail != nil {
		return fmt.Errorf("memdriver: %s: %w: %w", op, driver.ErrUnavailable, t.s.fail)
	}
	return nil
}

// Durable implements driver.Tier.
func (t *Tier) Durable() bool { return t.s.durable }

// MaxFrameSize implements driver.SizeLimiter.
func (t *Tier) MaxFrameSize() int64 { return t.max }

// Ping implements driver.Pinger.
func (t *Tier) Ping(ctx context.Context) error { return t.check(ctx, "ping") }

// Close implements driver.Tier. The store stays for other handles.
func (t *Tier) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return fmt.Errorf("memdriver: close: %w", driver.ErrClosed)
	}
	t.closed = true
	t.closeNotify()
	return nil
}
