package redisdriver

import (
	"context"
	"errors"
	"time"

	"github.com/redis/rueidis"
)

// compactRounds bounds each pass of Compact; at 256 entries a round it
// covers millions of frames.
const compactRounds = 1 << 16

// Compact makes the indexes agree with the keys, in three passes over the
// prefix: it drops every expired frame from the indexes, drops index
// entries whose frame is gone (evicted, or deleted by another tool), and
// adds to the indexes frames whose entries were lost (a process that died
// between a frame's write and its index update on a cluster). Its cost
// grows with the number of frames; the manager runs it in the background.
func (s *Store) Compact(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.sweep(ctx, compactRounds); err != nil {
		return err
	}
	if err := s.dropDeadEntries(ctx); err != nil {
		return err
	}
	return s.indexLostFrames(ctx)
}

// dropDeadEntries walks the size hash, which lists every indexed frame.
func (s *Store) dropDeadEntries(ctx context.Context) error {
	cursor := uint64(0)
	for range compactRounds {
		rctx, cancel := s.deadline(ctx)
		entry, err := s.client.Do(rctx, s.client.B().Hscan().Key(s.keys.size).Cursor(cursor).Count(sweepPage).Build()).AsScanEntry()
		cancel()
		if err != nil {
			return s.fail("compact", "", err)
		}
		ids := make([]string, 0, len(entry.Elements)/2)
		for i := 0; i+1 < len(entry.Elements); i += 2 {
			ids = append(ids, entry.Elements[i])
		}
		_, dead, err := s.readMetas(ctx, ids)
		if err != nil {
			return err
		}
		if err := s.removeFromIndex(ctx, "", dead...); err != nil {
			return err
		}
		if cursor = entry.Cursor; cursor == 0 {
			return nil
		}
	}
	return nil
}

// indexLostFrames scans every node for meta keys of the prefix and indexes
// the frames the size hash does not list.
func (s *Store) indexLostFrames(ctx context.Context) error {
	var errs []error
	for _, node := range s.client.Nodes() {
		cursor := uint64(0)
		for range compactRounds {
			rctx, cancel := s.deadline(ctx)
			entry, err := node.Do(rctx, node.B().Scan().Cursor(cursor).Match(s.keys.metaPattern()).Count(sweepPage).Build()).AsScanEntry()
			cancel()
			if err != nil {
				if isReadOnlyReplica(err) {
					break
				}
				errs = append(errs, s.fail("compact", "", err))
				break
			}
			var ids []string
			for _, k := range entry.Elements {
				if id := s.keys.idFromMeta(k); id != "" {
					ids = append(ids, id)
				}
			}
			if err := s.indexMissing(ctx, ids); err != nil {
				return err
			}
			if cursor = entry.Cursor; cursor == 0 {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func isReadOnlyReplica(err error) bool {
	e, ok := rueidis.IsRedisErr(err)
	return ok && hasCode(e, "READONLY")
}

// indexMissing adds to the indexes those of ids that are alive and not
// indexed, with the statistics of their meta hash.
func (s *Store) indexMissing(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rctx, cancel := s.deadline(ctx)
	known, err := s.client.Do(rctx, s.client.B().Hmget().Key(s.keys.size).Field(ids...).Build()).ToArray()
	cancel()
	if err != nil {
		return s.fail("compact", "", err)
	}
	var lost []string
	for i, v := range known {
		if v.IsNil() {
			lost = append(lost, ids[i])
		}
	}
	alive, _, err := s.readMetas(ctx, lost)
	if err != nil || len(alive) == 0 {
		return err
	}
	exp := s.expireAt(time.Now())
	var args []string
	for _, m := range alive {
		a, err := encodeMeta(m)
		if err != nil {
			continue
		}
		args = append(args, m.ID, "1", a.accessedAt, a.lfu, a.createdAt, exp, a.size)
	}
	rctx, cancel = s.deadline(ctx)
	defer cancel()
	if err := scriptIndexPut.run(rctx, s.client, call{keys: s.keys.index(), args: args})[0].Error(); err != nil {
		return s.fail("compact", "", err)
	}
	return nil
}
