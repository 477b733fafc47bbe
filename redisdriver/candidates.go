package redisdriver

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

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
	if err := s.check(); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, nil
	}
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
		return nil, fmt.Errorf("redisdriver: candidates: unknown policy %q", q.Policy)
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	ids, err := s.client.Do(ctx, s.client.B().Arbitrary("ZRANGE").Keys(key).
		Args("-inf", upper, "BYSCORE", "LIMIT", strconv.Itoa(offset), strconv.Itoa(count)).ReadOnly()).AsStrSlice()
	if err != nil {
		return nil, s.fail("candidates", "", err)
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	var calls []call
	for _, id := range ids {
		if checkID(id) == nil {
			calls = append(calls, call{keys: []string{s.keys.frame(id), s.keys.meta(id)}, args: metaFields})
		}
	}
	res := scriptPeek.run(ctx, s.client, calls...)
	i := 0
	for _, id := range ids {
		if checkID(id) != nil {
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
			return nil, nil, s.fail("candidates", id, err)
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
