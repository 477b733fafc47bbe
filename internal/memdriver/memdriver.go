// Package memdriver is the reference in-memory tier: the simplest correct
// implementation of the driver contract. It backs the manager's tests and
// shows third-party driver authors what drivertest expects.
//
// It is registered for the "mem" scheme: "mem://name" opens the store
// called name (shared by every Open of that name in the process, so a
// test can reopen it); "mem://" opens a private one. "?durable=false"
// makes it claim to be a cache.
//
// Candidates sorts all frames, which is fine for a reference and for tests,
// not for production sizes.
package memdriver

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func init() { tier.Register("mem", Driver{}) }

// Driver opens in-memory tiers.
type Driver struct{}

var (
	namedMu sync.Mutex
	named   = map[string]*store{}
)

// Open implements driver.Driver.
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mem" {
		return nil, fmt.Errorf("%w: want mem://name", driver.ErrBadDSN)
	}
	durable := true
	for k, v := range u.Query() {
		switch k {
		case "durable":
			if durable, err = strconv.ParseBool(v[0]); err != nil {
				return nil, fmt.Errorf("%w: durable=%q", driver.ErrBadDSN, v[0])
			}
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q", driver.ErrBadDSN, k)
		}
	}
	if u.Host == "" {
		return New(durable), nil
	}
	namedMu.Lock()
	defer namedMu.Unlock()
	s, ok := named[u.Host]
	if !ok {
		s = newStore(durable)
		named[u.Host] = s
	}
	return &Tier{s: s}, nil
}

// New returns a private in-memory tier.
func New(durable bool) *Tier { return &Tier{s: newStore(durable)} }

// store holds the frames; several Tier handles may share one.
type store struct {
	durable bool
	mu      sync.RWMutex
	frames  map[string]driver.Record
	// Fail, when set, is returned by every operation: tests use it to
	// simulate an unreachable tier.
	fail error
}

func newStore(durable bool) *store {
	return &store{durable: durable, frames: map[string]driver.Record{}}
}

// Tier is one handle on an in-memory store. It implements driver.Tier,
// driver.Batcher, driver.Querier and driver.Pinger.
type Tier struct {
	s      *store
	mu     sync.Mutex
	closed bool
}

var (
	_ driver.Tier    = (*Tier)(nil)
	_ driver.Batcher = (*Tier)(nil)
	_ driver.Querier = (*Tier)(nil)
	_ driver.Pinger  = (*Tier)(nil)
)

// SetFailure makes every later call fail with err (wrapped in
// driver.ErrUnavailable) until it is called with nil.
func (t *Tier) SetFailure(err error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.fail = err
}

func (t *Tier) check(ctx context.Context) error {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return driver.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	if t.s.fail != nil {
		return fmt.Errorf("%w: %v", driver.ErrUnavailable, t.s.fail)
	}
	return nil
}

// Durable implements driver.Tier.
func (t *Tier) Durable() bool { return t.s.durable }

// Get implements driver.Tier.
func (t *Tier) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if err := t.check(ctx); err != nil {
		return driver.Record{}, false, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	r, ok := t.s.frames[id]
	if !ok {
		return driver.Record{}, false, nil
	}
	if driver.Checksum(r.Data) != r.Checksum {
		return driver.Record{}, false, fmt.Errorf("%w: frame %s", driver.ErrCorrupt, id)
	}
	return clone(r), true, nil
}

// Corrupt replaces the stored document of id with data, keeping its
// checksum, to let tests exercise corruption handling.
func (t *Tier) Corrupt(id string, data []byte) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if r, ok := t.s.frames[id]; ok {
		r.Data = slices.Clone(data)
		r.Compressed = nil
		t.s.frames[id] = r
	}
}

func clone(r driver.Record) driver.Record {
	r.Data = slices.Clone(r.Data)
	r.Compressed = slices.Clone(r.Compressed)
	return r
}

// Put implements driver.Tier.
func (t *Tier) Put(ctx context.Context, rec driver.Record) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.put(rec)
	return nil
}

func (s *store) put(rec driver.Record) {
	old, ok := s.frames[rec.ID]
	if ok && old.Version > rec.Version {
		return
	}
	rec = clone(rec)
	if ok {
		rec.LastAccess, rec.AccessCount, rec.LFUKey = old.LastAccess, old.AccessCount, old.LFUKey
	} else {
		if rec.AccessCount < 1 {
			rec.AccessCount = 1
		}
		if rec.LastAccess.IsZero() {
			rec.LastAccess = rec.CreatedAt
		}
		if rec.LFUKey == 0 {
			rec.LFUKey = driver.NewLFUKey(rec.LastAccess, rec.AccessCount)
		}
	}
	s.frames[rec.ID] = rec
}

// Delete implements driver.Tier.
func (t *Tier) Delete(ctx context.Context, id string, upTo uint64) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if r, ok := t.s.frames[id]; ok && r.Version <= upTo {
		delete(t.s.frames, id)
	}
	return nil
}

// Touch implements driver.Tier.
func (t *Tier) Touch(ctx context.Context, hits []driver.Access) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, h := range hits {
		r, ok := t.s.frames[h.ID]
		if !ok {
			continue
		}
		if h.At.After(r.LastAccess) {
			r.LastAccess = h.At
		}
		r.AccessCount += h.Count
		r.LFUKey = driver.LFUKey(r.LFUKey, h.At, h.Count)
		t.s.frames[h.ID] = r
	}
	return nil
}

// Candidates implements driver.Tier by sorting every frame.
func (t *Tier) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	t.s.mu.RLock()
	var out []driver.Meta
	for _, r := range t.s.frames {
		if !q.CreatedBefore.IsZero() && !r.CreatedAt.Before(q.CreatedBefore) {
			continue
		}
		if !q.AccessedBefore.IsZero() && !r.LastAccess.Before(q.AccessedBefore) {
			continue
		}
		out = append(out, r.Meta)
	}
	t.s.mu.RUnlock()
	slices.SortFunc(out, func(a, b driver.Meta) int {
		var c int
		switch q.Policy {
		case driver.LFU:
			c = cmp.Compare(a.LFUKey, b.LFUKey)
		case driver.AGE:
			c = a.CreatedAt.Compare(b.CreatedAt)
		default:
			c = a.LastAccess.Compare(b.LastAccess)
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), max(q.Limit, 0))], nil
}

// Usage implements driver.Tier.
func (t *Tier) Usage(ctx context.Context) (driver.Usage, error) {
	if err := t.check(ctx); err != nil {
		return driver.Usage{}, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	var u driver.Usage
	for _, r := range t.s.frames {
		u.Frames++
		u.Bytes += r.Size
	}
	return u, nil
}

// Ping implements driver.Pinger.
func (t *Tier) Ping(ctx context.Context) error { return t.check(ctx) }

// Close implements driver.Tier.
func (t *Tier) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return driver.ErrClosed
	}
	t.closed = true
	return nil
}

// Reopen returns a new handle on the same store.
func (t *Tier) Reopen() (*Tier, error) { return &Tier{s: t.s}, nil }
