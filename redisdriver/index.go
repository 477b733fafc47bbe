package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/rueidis"
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
// re-score the renewed. Redis under memory pressure evicts keys one at a
// time, long before they expire: Candidates checks every frame it is about
// to return, Usage checks every frame on its first call in a process and a
// bounded page per call after that (checkEvicted), and Compact checks them
// all.

const (
	// sweepPage is how many expired-looking members one sweep round checks.
	sweepPage = 256
	// sweepRoundsQuick bounds the sweep before Usage and Candidates;
	// Compact sweeps to the end.
	sweepRoundsQuick = 8
	// candidateRounds bounds the pages Candidates reads to fill one answer.
	candidateRounds = 64
	// usageCheckPage is how many frames one Usage call checks for
	// eviction, after the first.
	usageCheckPage = 512
	// usageFirstCheck is how many frames the first Usage call of a Store
	// checks, within half its time bound: all of them in most caches, so
	// a short process (a status command) counts what Redis holds.
	usageFirstCheck = 200_000
)

// removeFromIndex drops ids from every index. With upto set, a member is
// only dropped if its recorded expiry is at most upto, so a frame that was
// written again since it was seen dead keeps its entry.
// It runs one script per indexRemoveBatch frames, so a long list (a full
// eviction check) does not hold Redis for one long script.
func (s *Store) removeFromIndex(ctx context.Context, upto string, ids ...string) error {
	for len(ids) > 0 {
		n := min(len(ids), indexRemoveBatch)
		res := scriptIndexRemove.run(ctx, s.client, call{keys: s.keys.index(), args: append([]string{upto}, ids[:n]...)})
		if err := res[0].Error(); err != nil {
			return wrapErr("index cleanup", callErr(ctx, err))
		}
		ids = ids[n:]
	}
	return nil
}

// indexRemoveBatch is how many frames one index cleanup script removes.
const indexRemoveBatch = 1000

// sweep drops expired frames from the indexes, at most rounds pages of
// them, and reports whether it reached the end. Each round is bounded by
// Options.BatchTimeout.
func (s *Store) sweep(ctx context.Context, rounds int) (bool, error) {
	for range rounds {
		n, err := s.sweepPage(ctx)
		if err != nil {
			return false, err
		}
		if n < sweepPage {
			return true, nil
		}
	}
	return false, nil
}

// sweepPage checks one page of frames whose recorded expiry has passed:
// the dead leave the indexes, the renewed get their real expiry. It
// returns the size of the page.
func (s *Store) sweepPage(ctx context.Context) (int, error) {
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	now := time.Now()
	nowMs := formatMillis(now)
	ids, err := s.client.Do(ctx, s.client.B().Arbitrary("ZRANGE").Keys(s.keys.exp).
		Args("-inf", nowMs, "BYSCORE", "LIMIT", "0", fmt.Sprint(sweepPage)).ReadOnly()).AsStrSlice()
	if err != nil {
		return 0, wrapErr("sweep", callErr(ctx, err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = s.client.B().Pttl().Key(s.keys.frame(id)).Build()
	}
	var dead, persist []string
	renew := s.client.B().Arbitrary("ZADD").Keys(s.keys.exp).Args("XX", "GT")
	renewed := 0
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		ms, err := r.AsInt64()
		if err != nil {
			return 0, wrapErr("sweep "+ids[i], callErr(ctx, err))
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
	for _, r := range s.client.DoMulti(ctx, fix...) {
		if err := r.Error(); err != nil {
			errs = append(errs, wrapErr("sweep", callErr(ctx, err)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	if err := s.removeFromIndex(ctx, nowMs, dead...); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// checkEvicted checks about limit frames listed by the size hash (the
// list Usage counts) for eviction, and drops those missing a key from the
// indexes. It stops early at the deadline. It resumes the HSCAN where the
// previous call stopped, so successive calls cover every frame. A durable
// store is not checked: its Redis never evicts, and Delete keeps its
// indexes.
func (s *Store) checkEvicted(ctx context.Context, limit int, deadline time.Time) error {
	if s.opts.Durable {
		return nil
	}
	start := s.usageCursor.Load()
	cursor := start
	upto := s.expireAt(time.Now()) // any later expiry was written after the check
	var dead []string
	checked := 0
	// HSCAN may return few or no elements per call: the rounds are bounded
	// too, at twice the pages the limit needs.
	rounds := 8 + 2*limit/usageCheckPage
	for round := 0; round < rounds && checked < limit && (round == 0 || time.Now().Before(deadline)); round++ {
		entry, err := s.client.Do(ctx, s.client.B().Hscan().Key(s.keys.size).Cursor(cursor).Count(usageCheckPage).Build()).AsScanEntry()
		if err != nil {
			return wrapErr("usage (eviction check)", callErr(ctx, err))
		}
		var ids []string
		cmds := make(rueidis.Commands, 0, len(entry.Elements)/2)
		for i := 0; i+1 < len(entry.Elements); i += 2 {
			id := entry.Elements[i]
			switch {
			case id == bytesField:
			case !validID(id):
				dead = append(dead, id)
			default:
				ids = append(ids, id)
				// Both keys share the hash tag {id}: one command, one slot.
				cmds = append(cmds, s.client.B().Exists().Key(s.keys.frame(id), s.keys.meta(id)).Build())
			}
		}
		for i, r := range s.client.DoMulti(ctx, cmds...) {
			n, err := r.AsInt64()
			if err != nil {
				return wrapErr("usage (eviction check)", callErr(ctx, err))
			}
			if n < 2 {
				dead = append(dead, ids[i])
			}
		}
		checked += len(ids)
		if cursor = entry.Cursor; cursor == 0 {
			break
		}
	}
	if err := s.removeFromIndex(ctx, upto, dead...); err != nil {
		return err
	}
	s.usageCursor.CompareAndSwap(start, cursor)
	return nil
}
