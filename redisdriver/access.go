package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// touchAttempts bounds the compare-and-set retries of Touch when other
// clients update the same frames at the same moment.
const touchAttempts = 5

// Touch records reads of frames held here: LastAccess becomes the latest
// of its value and the hit's time, AccessCount grows by the hit's count,
// and the LFU key is updated with driver.LFUKey. It renews the TTL of the
// frames and moves them in the LRU and LFU indexes. Unknown IDs, and
// frames whose meta hash cannot be read, are ignored.
//
// Each frame is updated by compare-and-set, so concurrent Touch calls from
// several processes add up. Touch takes about three round trips whatever
// the number of hits, bounded together by Options.BatchTimeout.
func (s *Store) Touch(ctx context.Context, hits []driver.Access) error {
	if err := s.check("touch"); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	pending := make([]driver.Access, 0, len(hits))
	for _, h := range hits {
		if validID(h.ID) && h.Count > 0 {
			pending = append(pending, h)
		}
	}
	var done []touched
	for attempt := 0; attempt < touchAttempts && len(pending) > 0; attempt++ {
		var err error
		var ok []touched
		ok, pending, err = s.touchOnce(ctx, pending)
		done = append(done, ok...)
		if err != nil {
			return err
		}
	}
	return s.touchIndex(ctx, done)
}

// touched is a frame whose new statistics were written.
type touched struct {
	id, accessedAt, lfu string
}

// touchOnce reads the statistics of the hits' frames, computes the new
// ones, and writes them where nobody changed them meanwhile. It returns
// the frames written and the hits to try again.
func (s *Store) touchOnce(ctx context.Context, hits []driver.Access) (done []touched, retry []driver.Access, err error) {
	cmds := make(rueidis.Commands, len(hits))
	for i, h := range hits {
		cmds[i] = s.client.B().Hmget().Key(s.keys.meta(h.ID)).Field("accessed_at", "access_count", "lfu_key").Build()
	}
	var calls []call
	var todo []driver.Access
	var news []touched
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		vals, err := r.AsStrSlice()
		if err != nil {
			if _, isReply := rueidis.IsRedisErr(err); isReply || rueidis.IsRedisNil(err) {
				continue // unknown frame, or not a hash: Get reports it as corrupt
			}
			return nil, nil, wrapErr("touch "+hits[i].ID, callErr(ctx, err))
		}
		h := hits[i]
		last, err1 := parseMillis(vals[0])
		count, err2 := strconv.ParseInt(vals[1], 10, 64)
		prev, err3 := strconv.ParseFloat(vals[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue // missing or damaged: nothing to update
		}
		if h.At.After(last) {
			last = h.At
		}
		t := touched{id: h.ID, accessedAt: formatMillis(last), lfu: strconv.FormatFloat(driver.LFUKey(prev, h.At, h.Count), 'g', -1, 64)}
		calls = append(calls, call{
			keys: []string{s.keys.frame(h.ID), s.keys.meta(h.ID)},
			args: []string{vals[1], vals[2], t.accessedAt, strconv.FormatInt(count+h.Count, 10), t.lfu, s.ttl},
		})
		todo = append(todo, h)
		news = append(news, t)
	}
	if len(calls) == 0 {
		return nil, nil, nil
	}
	for i, r := range scriptTouch.run(ctx, s.client, calls...) {
		n, err := r.AsInt64()
		if err != nil {
			return done, nil, wrapErr("touch "+todo[i].ID, callErr(ctx, err))
		}
		switch n {
		case 1:
			done = append(done, news[i])
		case 0:
			retry = append(retry, todo[i])
		}
	}
	return done, retry, nil
}

// touchIndex moves touched frames in the LRU and LFU indexes (only ever
// later / higher, so concurrent updates cannot move a frame back) and
// records their renewed expiry.
func (s *Store) touchIndex(ctx context.Context, done []touched) error {
	if len(done) == 0 {
		return nil
	}
	b := s.client.B()
	lru := b.Arbitrary("ZADD").Keys(s.keys.lru).Args("XX", "GT")
	lfu := b.Arbitrary("ZADD").Keys(s.keys.lfu).Args("XX", "GT")
	for _, t := range done {
		lru = lru.Args(t.accessedAt, t.id)
		lfu = lfu.Args(t.lfu, t.id)
	}
	cmds := rueidis.Commands{lru.Build(), lfu.Build()}
	if exp := s.expireAt(time.Now()); exp != "" {
		e := b.Arbitrary("ZADD").Keys(s.keys.exp).Args("XX", "GT")
		for _, t := range done {
			e = e.Args(exp, t.id)
		}
		cmds = append(cmds, e.Build())
	}
	var errs []error
	for _, r := range s.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			errs = append(errs, wrapErr("touch (index)", callErr(ctx, err)))
		}
	}
	return errors.Join(errs...)
}

// Candidates returns up to q.Limit frames in the order q.Policy gives them
// up, read from the policy's sorted set: least recent access first (LRU),
// lowest LFU key first (LFU), oldest creation first (AGE); ties by ID.
//
// Every frame returned exists and carries the metadata of its meta hash.
// Index members whose frame has expired or been evicted are dropped from
// the indexes on the way, so the work done grows with the frames returned
// and the dead entries met, not with the frames kept. A filter on the
// policy's own time (AccessedBefore for LRU, CreatedBefore for AGE) is
// applied by the index; the other filter is applied to the frames read.
func (s *Store) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	if err := s.check("candidates"); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	var key, upper string
	switch q.Policy {
	case driver.LRU:
		key, upper = s.keys.lru, "+inf"
		if !q.AccessedBefore.IsZero() {
			upper = "(" + formatMillis(q.AccessedBefore)
		}
	case driver.LFU:
		key, upper = s.keys.lfu, "+inf"
	case driver.AGE:
		key, upper = s.keys.age, "+inf"
		if !q.CreatedBefore.IsZero() {
			upper = "(" + formatMillis(q.CreatedBefore)
		}
	default:
		return nil, fmt.Errorf("redisdriver: candidates: unknown policy %q (want LRU, LFU or AGE)", q.Policy)
	}
	if _, err := s.sweep(ctx, sweepRoundsQuick); err != nil {
		return nil, err
	}
	out := make([]driver.Meta, 0, min(q.Limit, 1024))
	seen := make(map[string]bool)
	offset := 0
	for range candidateRounds {
		page := min(max(2*(q.Limit-len(out)), 32), 1000)
		ids, err := s.indexPage(ctx, key, upper, offset, page)
		if err != nil {
			return nil, err
		}
		metas, dead, err := s.readMetas(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, m := range metas {
			if seen[m.ID] || !keepsQuery(q, m) {
				continue
			}
			seen[m.ID] = true
			out = append(out, m)
		}
		if err := s.removeFromIndex(ctx, "", dead...); err != nil {
			return nil, err
		}
		offset += len(ids) - len(dead)
		if len(out) >= q.Limit || len(ids) < page {
			break
		}
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// keepsQuery applies the filters of q to a frame.
func keepsQuery(q driver.CandidateQuery, m driver.Meta) bool {
	if !q.CreatedBefore.IsZero() && !m.CreatedAt.Before(q.CreatedBefore) {
		return false
	}
	if !q.AccessedBefore.IsZero() && !m.LastAccess.Before(q.AccessedBefore) {
		return false
	}
	return true
}

// indexPage reads one page of a candidate index in ascending score order.
func (s *Store) indexPage(ctx context.Context, key, upper string, offset, count int) ([]string, error) {
	ids, err := s.client.Do(ctx, s.client.B().Arbitrary("ZRANGE").Keys(key).
		Args("-inf", upper, "BYSCORE", "LIMIT", strconv.Itoa(offset), strconv.Itoa(count)).ReadOnly()).AsStrSlice()
	if err != nil {
		return nil, wrapErr("candidates", callErr(ctx, err))
	}
	return ids, nil
}

// readMetas reads the meta hashes of ids and checks their documents exist,
// in one pipeline. It returns the frames alive, in the order of ids, and
// the IDs whose document or meta hash is gone. A frame whose meta hash is
// damaged is left out of both: Get reports it.
func (s *Store) readMetas(ctx context.Context, ids []string) (alive []driver.Meta, dead []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	var calls []call
	for _, id := range ids {
		if validID(id) {
			calls = append(calls, call{keys: []string{s.keys.frame(id), s.keys.meta(id)}, args: metaFields})
		}
	}
	res := scriptPeek.run(ctx, s.client, calls...)
	i := 0
	for _, id := range ids {
		if !validID(id) {
			dead = append(dead, id) // cannot be a frame of ours
			continue
		}
		r := res[i]
		i++
		pair, err := r.ToArray()
		if err != nil {
			if _, isReply := rueidis.IsRedisErr(err); isReply {
				continue // damaged: Get reports it
			}
			return nil, nil, wrapErr("candidates "+id, callErr(ctx, err))
		}
		if len(pair) != 2 {
			continue
		}
		n, err1 := pair[0].AsInt64()
		vals, err2 := pair[1].ToArray()
		if err1 != nil || err2 != nil {
			continue
		}
		m, ok, err := parseMeta(id, vals)
		switch {
		case err != nil:
			continue
		case !ok || n == 0:
			dead = append(dead, id)
		default:
			alive = append(alive, m)
		}
	}
	return alive, dead, nil
}

// Usage reports the frames and document bytes (the sum of Size) held under
// the prefix, from the indexes, in a bounded number of round trips
// (bounded together by Options.BatchTimeout). First it drops from the
// indexes frames that expired since the last sweep, up to a bound, and
// checks frames that Redis may have evicted under memory pressure: a frame
// with either key gone is no longer counted. The first call of a Store
// checks every frame (up to 200 000, within half of BatchTimeout), so a
// short process counts what Redis holds; later calls check about 512
// each, resuming where the last one stopped, so a long-running process
// catches later evictions within about frames/512 calls. Compact checks
// every frame. If Redis evicted the index itself, Usage counts less until
// Compact rebuilds it.
func (s *Store) Usage(ctx context.Context) (driver.Usage, error) {
	if err := s.check("usage"); err != nil {
		return driver.Usage{}, err
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	if _, err := s.sweep(ctx, sweepRoundsQuick); err != nil {
		return driver.Usage{}, err
	}
	limit, first := usageCheckPage, !s.usageChecked.Load()
	if first {
		limit = usageFirstCheck
	}
	if err := s.checkEvicted(ctx, limit, time.Now().Add(s.opts.BatchTimeout/2)); err != nil {
		return driver.Usage{}, err
	}
	if first {
		s.usageChecked.Store(true) // a call that failed leaves the full check to the next
	}
	res := s.client.DoMulti(ctx,
		s.client.B().Hlen().Key(s.keys.size).Build(),
		s.client.B().Hget().Key(s.keys.size).Field(bytesField).Build())
	frames, err := res[0].AsInt64()
	if err != nil {
		return driver.Usage{}, wrapErr("usage", callErr(ctx, err))
	}
	bytes, err := res[1].AsInt64()
	switch {
	case err == nil:
		frames-- // the hash's own sum field
	case !rueidis.IsRedisNil(err):
		return driver.Usage{}, wrapErr("usage", callErr(ctx, err))
	}
	return driver.Usage{Frames: frames, Bytes: bytes}, nil
}
