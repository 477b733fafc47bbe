package redisdriver

import (
	"context"
	"errors"
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
// the number of hits.
func (s *Store) Touch(ctx context.Context, hits []driver.Access) error {
	if err := s.check(); err != nil {
		return err
	}
	pending := make([]driver.Access, 0, len(hits))
	for _, h := range hits {
		if checkID(h.ID) == nil && h.Count > 0 {
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
	rctx, cancel := s.deadline(ctx)
	defer cancel()
	cmds := make(rueidis.Commands, len(hits))
	for i, h := range hits {
		cmds[i] = s.client.B().Hmget().Key(s.keys.meta(h.ID)).Field("accessed_at", "access_count", "lfu_key").Build()
	}
	var calls []call
	var todo []driver.Access
	var news []touched
	for i, r := range s.client.DoMulti(rctx, cmds...) {
		vals, err := r.AsStrSlice()
		if err != nil {
			if _, isReply := rueidis.IsRedisErr(err); isReply || rueidis.IsRedisNil(err) {
				continue // unknown frame, or not a hash: Get reports it as corrupt
			}
			return nil, nil, s.fail("touch", hits[i].ID, err)
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
	for i, r := range scriptTouch.run(rctx, s.client, calls...) {
		n, err := r.AsInt64()
		if err != nil {
			return done, nil, s.fail("touch", todo[i].ID, err)
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
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
			errs = append(errs, s.fail("touch (index)", "", err))
		}
	}
	return errors.Join(errs...)
}
