package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// link is one tier of the chain with what the manager knows about it: its
// optional interfaces (found once, at Open), limits and timeout.
type link struct {
	level   int // 1-based position in the chain
	name    string
	scheme  string
	limits  Limits
	timeout time.Duration
	stats   *statsRecorder
	hooks   Hooks
	// newBreaker makes the circuit breaker of each handle: a tier that is
	// opened again starts with a closed breaker.
	newBreaker func() *breaker

	cur  atomic.Pointer[handle]                     // the open tier; see pendingTier
	open func(context.Context) (driver.Tier, error) // to open the tier again while it is pending
}

// handle is an open tier and the optional interfaces it implements, found
// once when it was opened.
type handle struct {
	tier       driver.Tier
	breaker    *breaker
	durable    bool
	batcher    driver.Batcher   // nil when the tier has none
	querier    driver.Querier   // nil when the tier has none
	pinger     driver.Pinger    // nil when the tier has none
	compactor  driver.Compactor // nil when the tier has none
	deleter    driver.BatchDeleter
	compressor driver.Compressor  // nil when the tier stores documents raw
	limiter    driver.SizeLimiter // nil when the tier holds documents of any size
	metaGetter driver.MetaGetter  // nil when metadata comes only with documents
	notifier   driver.Notifier    // nil when the tier cannot tell of changes
	tombs      driver.Tombstoner  // nil when the tier does not remember deletes
}

func newHandle(t driver.Tier, b *breaker) *handle {
	h := &handle{tier: t, breaker: b, durable: t.Durable()}
	h.batcher, _ = t.(driver.Batcher)
	h.querier, _ = t.(driver.Querier)
	h.pinger, _ = t.(driver.Pinger)
	h.compactor, _ = t.(driver.Compactor)
	h.deleter, _ = t.(driver.BatchDeleter)
	h.compressor, _ = t.(driver.Compressor)
	h.limiter, _ = t.(driver.SizeLimiter)
	h.metaGetter, _ = t.(driver.MetaGetter)
	h.notifier, _ = t.(driver.Notifier)
	h.tombs, _ = t.(driver.Tombstoner)
	return h
}

// h returns the tier's current handle.
func (l *link) h() *handle { return l.cur.Load() }

func newLink(level int, spec TierSpec, stats *statsRecorder, cooldown time.Duration, log *slog.Logger, hooks Hooks) *link {
	l := &link{
		level:   level,
		name:    spec.Name,
		scheme:  spec.Scheme,
		limits:  spec.Limits,
		timeout: spec.Timeout,
		stats:   stats,
		open:    spec.Open,
		hooks:   hooks,
	}
	l.newBreaker = func() *breaker {
		return newBreaker(l.name, cooldown, log, func(state string) {
			if state == "open" {
				stats.trip(level)
			}
			if hooks.OnBreaker != nil {
				hooks.OnBreaker(level, l.name, state)
			}
		})
	}
	l.cur.Store(newHandle(spec.Tier, l.newBreaker()))
	if l.name == "" {
		l.name = l.scheme
	}
	return l
}

// String names the tier in errors: "tier 2 (redis)".
func (l *link) String() string { return fmt.Sprintf("tier %d (%s)", l.level, l.name) }

// call runs op against the tier with the tier's timeout, through its
// circuit breaker: while the breaker is open, op is not run and the call
// fails at once with an error wrapping ErrUnavailable. A timeout of the
// tier's own is reported as ErrUnavailable; the caller's own cancellation
// is returned as it is and does not count against the tier.
func (l *link) call(ctx context.Context, name string, op func(context.Context) error) error {
	return l.callWithin(ctx, l.timeout, name, op)
}

// callLong is call for work on many frames (batches, listings, usage,
// compaction), which gets a longer timeout than a single frame's.
// While the tier is on probation (its breaker half-open after a failure),
// the call gets the short timeout, so a tier that still does not answer
// holds nothing up for long.
func (l *link) callLong(ctx context.Context, name string, op func(context.Context) error) error {
	timeout := max(10*l.timeout, minBatchTimeout)
	if l.timeout == 0 {
		timeout = 0 // no deadline of the manager's for this tier
	} else if l.h().breaker.probing() {
		timeout = l.timeout
	}
	return l.callWithin(ctx, timeout, name, op)
}

// minBatchTimeout is the least time a call on many frames is given.
const minBatchTimeout = 5 * time.Second

func (l *link) callWithin(ctx context.Context, timeout time.Duration, name string, op func(context.Context) error) error {
	done, err := l.h().breaker.allow(ctx, timeout)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", l, err)
		}
		return err
	}
	tctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	err = op(tctx)
	took := time.Since(start)
	l.stats.latency(l.level, name, took)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = fmt.Errorf("%s: %w", l, ctx.Err())
	case tctx.Err() != nil && !errors.Is(err, ErrUnavailable):
		err = fmt.Errorf("%w: %s did not answer within %s: %w", ErrUnavailable, l, timeout, err)
	}
	if errors.Is(err, ErrUnavailable) {
		l.stats.failed(l.level, name)
	}
	done(err)
	if l.hooks.OnCall != nil {
		l.hooks.OnCall(ctx, Call{Level: l.level, Tier: l.name, Op: name, Took: took, Err: err})
	}
	return err
}

func (l *link) get(ctx context.Context, id string) (rec driver.Record, ok bool, err error) {
	err = l.call(ctx, opGet, func(ctx context.Context) error {
		rec, ok, err = l.h().tier.Get(ctx, id)
		return err
	})
	return rec, ok, err
}

func (l *link) put(ctx context.Context, rec driver.Record) error {
	return l.call(ctx, opPut, func(ctx context.Context) error { return l.h().tier.Put(ctx, rec) })
}

func (l *link) putMany(ctx context.Context, recs []driver.Record) error {
	if len(recs) == 0 {
		return nil
	}
	b := l.h().batcher
	if b == nil {
		for _, r := range recs {
			if err := l.put(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	return l.callLong(ctx, opPut, func(ctx context.Context) error { return b.PutMany(ctx, recs) })
}

func (l *link) getMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	b := l.h().batcher
	if b == nil {
		var out []driver.Record
		for _, id := range ids {
			r, ok, err := l.get(ctx, id)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, r)
			}
		}
		return out, nil
	}
	var out []driver.Record
	err := l.callLong(ctx, opGet, func(ctx context.Context) (err error) {
		out, err = b.GetMany(ctx, ids)
		return err
	})
	return out, err
}

// getSound is getMany that survives damaged copies: it returns the sound
// copies and the IDs of the damaged ones. A driver that names the damaged
// copies (driver.CorruptError) costs one call; for one that does not, the
// frames are read one by one.
func (l *link) getSound(ctx context.Context, ids []string) (recs []driver.Record, damaged []string, err error) {
	recs, err = l.getMany(ctx, ids)
	if err == nil || !errors.Is(err, ErrCorrupt) {
		return recs, nil, err
	}
	var ce *driver.CorruptError
	if errors.As(err, &ce) && len(ce.IDs) > 0 {
		return recs, ce.IDs, nil
	}
	recs = recs[:0]
	for _, id := range ids {
		r, ok, err := l.get(ctx, id)
		switch {
		case errors.Is(err, ErrCorrupt):
			damaged = append(damaged, id)
		case err != nil:
			return nil, nil, err
		case ok:
			recs = append(recs, r)
		}
	}
	return recs, damaged, nil
}

func (l *link) delete(ctx context.Context, id string, upTo uint64) error {
	return l.call(ctx, opDelete, func(ctx context.Context) error { return l.h().tier.Delete(ctx, id, upTo) })
}

// bury deletes a frame the host deleted: where the tier remembers
// deletes (driver.Tombstoner), it keeps older copies of the frame out from
// now on, whichever machine writes them.
func (l *link) bury(ctx context.Context, id string, upTo uint64) error {
	t := l.h().tombs
	if t == nil {
		return l.delete(ctx, id, upTo)
	}
	return l.call(ctx, opDelete, func(ctx context.Context) error { return t.Bury(ctx, id, upTo) })
}

// buried returns, of the frames recs that the tier does not hold (have is
// what it holds), those it remembers deleted at their version or later,
// with the version they were deleted up to. A tier that does not remember
// deletes returns none.
func (l *link) buried(ctx context.Context, recs []driver.Meta, have map[string]driver.Meta) (map[string]uint64, error) {
	t := l.h().tombs
	if t == nil {
		return nil, nil
	}
	var ids []string
	for _, r := range recs {
		if _, ok := have[r.ID]; !ok {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var tombs map[string]uint64
	err := l.callLong(ctx, opGet, func(ctx context.Context) (err error) {
		tombs, err = t.Tombstones(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(tombs))
	for _, r := range recs {
		if upTo, ok := tombs[r.ID]; ok && upTo >= r.Version {
			out[r.ID] = upTo
		}
	}
	return out, nil
}

func (l *link) usage(ctx context.Context) (u driver.Usage, err error) {
	err = l.callLong(ctx, opOther, func(ctx context.Context) error {
		u, err = l.h().tier.Usage(ctx)
		return err
	})
	return u, err
}

func (l *link) ping(ctx context.Context) error {
	p := l.h().pinger
	if p == nil {
		_, err := l.usage(ctx)
		return err
	}
	return l.call(ctx, opOther, p.Ping)
}

// deleteMany removes several copies, in one call when the tier can.
func (l *link) deleteMany(ctx context.Context, dels []driver.Deletion) error {
	if len(dels) == 0 {
		return nil
	}
	d := l.h().deleter
	if d == nil {
		for _, del := range dels {
			if err := l.delete(ctx, del.ID, del.UpTo); err != nil {
				return err
			}
		}
		return nil
	}
	return l.callLong(ctx, opDelete, func(ctx context.Context) error { return d.DeleteMany(ctx, dels) })
}

func (l *link) touch(ctx context.Context, hits []driver.Access) error {
	return l.callLong(ctx, opOther, func(ctx context.Context) error { return l.h().tier.Touch(ctx, hits) })
}

func (l *link) candidates(ctx context.Context, q driver.CandidateQuery) (metas []driver.Meta, err error) {
	err = l.callLong(ctx, opOther, func(ctx context.Context) error {
		metas, err = l.h().tier.Candidates(ctx, q)
		return err
	})
	return metas, err
}

// canQuery reports whether the tier keeps an index (driver.Querier).
func (l *link) canQuery() bool { return l.h().querier != nil }

// query asks the tier's index; the tier must be able to (canQuery).
// Damaged copies are left out of the hits (Get and Verify repair them);
// damaged names them.
func (l *link) query(ctx context.Context, q driver.Query) (hits []driver.Hit, damaged []string, err error) {
	err = l.callLong(ctx, opQuery, func(ctx context.Context) error {
		hits, err = l.h().querier.Query(ctx, q)
		return err
	})
	if ce := (*driver.CorruptError)(nil); errors.As(err, &ce) {
		return hits, ce.IDs, nil
	}
	return hits, nil, err
}

// compact asks the tier to reclaim space; ok is false when it cannot.
func (l *link) compact(ctx context.Context) (ok bool, err error) {
	c := l.h().compactor
	if c == nil {
		return false, nil
	}
	return true, l.callLong(ctx, opOther, c.Compact)
}

// close closes the tier.
func (l *link) close() error { return l.h().tier.Close() }

// metas returns what the tier holds of the frames ids, by ID: their
// metadata without the documents where the tier can (driver.MetaGetter),
// else read from sound copies. Damaged copies are left out.
func (l *link) metas(ctx context.Context, ids []string) (map[string]driver.Meta, error) {
	out := make(map[string]driver.Meta, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if g := l.h().metaGetter; g != nil {
		var metas []driver.Meta
		err := l.callLong(ctx, opGet, func(ctx context.Context) (err error) {
			metas, err = g.GetMetas(ctx, ids)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, mt := range metas {
			out[mt.ID] = mt
		}
		return out, nil
	}
	recs, _, err := l.getSound(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r.ID] = r.Meta
	}
	return out, nil
}

// as hands the tier's native client to target (driver.Aser).
func (l *link) as(target any) bool {
	a, ok := l.h().tier.(driver.Aser)
	return ok && a.As(target)
}
