package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// The indexes are sorted sets and hashes under the hash tag {prefix}:
//
//	idx:{P}:lru    score: last access (ms)     LRU candidates
//	idx:{P}:lfu    score: driver.LFUKey        LFU candidates
//	idx:{P}:age    score: creation time (ms)   AGE candidates
//	idx:{P}:exp    score: expiry time (ms)     finds expired frames
//	idx:{P}:size   hash id -> document size    frames in Usage
//	idx:{P}:bytes  integer, sum of sizes       bytes in Usage
//
// Redis expires a frame's keys on its own; its index entries go lazily:
// Usage, Candidates and Compact first sweep the exp index for members whose
// recorded expiry has passed, check each frame with PTTL, drop the dead and
// re-score the renewed. Candidates also checks every frame it is about to
// return, which catches frames Redis evicted under memory pressure.

const (
	// sweepPage is how many expired-looking members one sweep round checks.
	sweepPage = 256
	// sweepRoundsQuick bounds the sweep before Usage and Candidates;
	// Compact sweeps to the end.
	sweepRoundsQuick = 8
	// candidateRounds bounds the pages Candidates reads to fill one answer.
	candidateRounds = 64
)

// removeFromIndex drops ids from every index. With upto set, a member is
// only dropped if its recorded expiry is at most upto, so a frame that was
// written again since it was seen dead keeps its entry.
func (s *Store) removeFromIndex(ctx context.Context, upto string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	rctx, cancel := s.deadline(ctx)
	defer cancel()
	res := scriptIndexRemove.run(rctx, s.client, call{keys: s.keys.index(), args: append([]string{upto}, ids...)})
	if err := res[0].Error(); err != nil {
		return s.fail("index cleanup", "", err)
	}
	return nil
}

// sweep drops expired frames from the indexes, at most rounds pages of
// them, and reports whether it reached the end.
func (s *Store) sweep(ctx context.Context, rounds int) (bool, error) {
	for range rounds {
		now := time.Now()
		nowMs := formatMillis(now)
		rctx, cancel := s.deadline(ctx)
		ids, err := s.client.Do(rctx, s.client.B().Arbitrary("ZRANGE").Keys(s.keys.exp).
			Args("-inf", nowMs, "BYSCORE", "LIMIT", "0", fmt.Sprint(sweepPage)).ReadOnly()).AsStrSlice()
		if err != nil {
			cancel()
			return false, s.fail("sweep", "", err)
		}
		if len(ids) == 0 {
			cancel()
			return true, nil
		}
		cmds := make(rueidis.Commands, len(ids))
		for i, id := range ids {
			cmds[i] = s.client.B().Pttl().Key(s.keys.frame(id)).Build()
		}
		var dead []string
		renew := s.client.B().Arbitrary("ZADD").Keys(s.keys.exp).Args("XX", "GT")
		var persist []string
		renewed := 0
		for i, r := range s.client.DoMulti(rctx, cmds...) {
			ms, err := r.AsInt64()
			if err != nil {
				cancel()
				return false, s.fail("sweep", ids[i], err)
			}
			switch {
			case ms == -2:
				dead = append(dead, ids[i])
			case ms == -1:
				persist = append(persist, ids[i]) // no expiry (durable): not in exp
			default:
				renew = renew.Args(formatMillis(now.Add(time.Duration(ms+1)*time.Millisecond)), ids[i])
				renewed++
			}
		}
		var fix rueidis.Commands
		if renewed > 0 {
			fix = append(fix, renew.Build())
		}
		if len(persist) > 0 {
			fix = append(fix, s.client.B().Zrem().Key(s.keys.exp).Member(persist...).Build())
		}
		var errs []error
		for _, r := range s.client.DoMulti(rctx, fix...) {
			if err := r.Error(); err != nil {
				errs = append(errs, s.fail("sweep", "", err))
			}
		}
		cancel()
		if err := errors.Join(errs...); err != nil {
			return false, err
		}
		if err := s.removeFromIndex(ctx, nowMs, dead...); err != nil {
			return false, err
		}
		if len(ids) < sweepPage {
			return true, nil
		}
	}
	return false, nil
}

// Usage reports the frames and document bytes (the sum of Size) held under
// the prefix. Frames that expired since the last sweep are swept first, up
// to a bound; frames Redis evicted under memory pressure are counted until
// Candidates or Compact meets them.
func (s *Store) Usage(ctx context.Context) (driver.Usage, error) {
	if err := s.check(); err != nil {
		return driver.Usage{}, err
	}
	if _, err := s.sweep(ctx, sweepRoundsQuick); err != nil {
		return driver.Usage{}, err
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	res := s.client.DoMulti(ctx,
		s.client.B().Hlen().Key(s.keys.size).Build(),
		s.client.B().Get().Key(s.keys.bytes).Build())
	frames, err := res[0].AsInt64()
	if err != nil {
		return driver.Usage{}, s.fail("usage", "", err)
	}
	bytes, err := res[1].AsInt64()
	if err != nil && !rueidis.IsRedisNil(err) {
		return driver.Usage{}, s.fail("usage", "", err)
	}
	return driver.Usage{Frames: frames, Bytes: bytes}, nil
}
