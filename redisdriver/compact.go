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

// Compact makes the keys and the indexes agree, in three passes over the
// prefix, each round trip bounded by Options.BatchTimeout:
//
//  1. it drops every expired frame from the indexes, and drops the
//     indexes whole when Redis evicted one of their keys (they no longer
//     list the same frames), for the next pass to rebuild;
//  2. it scans every node for the frame and meta keys of the prefix,
//     deletes the lone half of a frame whose other key Redis expired or
//     evicted, and indexes whole frames whose entries were lost (a process
//     that died between a frame's write and its index update on a
//     cluster, an evicted index);
//  3. it drops index entries whose frame is gone (evicted, deleted by
//     another tool), and recomputes the sum of sizes Usage reports.
//
// Half-evicted frames are missing, not damaged: Compact removes them
// quietly and reports no error for them. Its cost grows with the number of
// frames; the manager runs it in the background.
func (s *Store) Compact(ctx context.Context) error {
	if err := s.check("compact"); err != nil {
		return err
	}
	if _, err := s.sweep(ctx, compactRounds); err != nil {
		return err
	}
	rebuilt, err := s.dropBrokenIndex(ctx)
	if err != nil {
		return err
	}
	if err := s.scanFrames(ctx); err != nil {
		return err
	}
	if err := s.dropDeadEntries(ctx); err != nil {
		return err
	}
	return s.sumBytes(ctx, rebuilt)
}

// dropBrokenIndex deletes every index key when they do not list the same
// number of frames, which the scripts keep equal unless Redis evicted one
// of them, and reports whether it did.
func (s *Store) dropBrokenIndex(ctx context.Context) (bool, error) {
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	b := s.client.B()
	sets := []string{s.keys.lru, s.keys.lfu, s.keys.age}
	if !s.opts.Durable {
		sets = append(sets, s.keys.exp)
	}
	cmds := rueidis.Commands{b.Hlen().Key(s.keys.size).Build(), b.Hexists().Key(s.keys.size).Field(bytesField).Build()}
	for _, k := range sets {
		cmds = append(cmds, b.Zcard().Key(k).Build())
	}
	counts := make([]int64, len(cmds))
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		n, err := r.AsInt64()
		if err != nil {
			return false, wrapErr("compact", callErr(ctx, err))
		}
		counts[i] = n
	}
	frames := counts[0] - counts[1] // the size hash less its sum field
	broken := false
	for _, n := range counts[2:] {
		broken = broken || n != frames
	}
	if !broken {
		return false, nil
	}
	if err := s.client.Do(ctx, b.Del().Key(s.keys.index()...).Build()).Error(); err != nil {
		return false, wrapErr("compact", callErr(ctx, err))
	}
	return true, nil
}

// sumBytes recomputes the sum of sizes kept in the size hash when it may
// be off: after a rebuild of the index, when it is missing or negative,
// or when the key where earlier versions kept it is still there (which it
// then deletes). The scripts keep it exact otherwise; the sum reads the
// whole hash in one script, which is why it is not done every time.
func (s *Store) sumBytes(ctx context.Context, rebuilt bool) error {
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	b := s.client.B()
	res := s.client.DoMulti(ctx,
		b.Hget().Key(s.keys.size).Field(bytesField).Build(),
		b.Hlen().Key(s.keys.size).Build(),
		b.Exists().Key(s.keys.legacyBytes).Build())
	sum, err := res[0].AsInt64()
	missing := rueidis.IsRedisNil(err)
	if err != nil && !missing {
		return wrapErr("compact", callErr(ctx, err))
	}
	entries, err := res[1].AsInt64()
	if err != nil {
		return wrapErr("compact", callErr(ctx, err))
	}
	legacy, err := res[2].AsInt64()
	if err != nil {
		return wrapErr("compact", callErr(ctx, err))
	}
	if !rebuilt && legacy == 0 && sum >= 0 && !(missing && entries > 0) {
		return nil
	}
	if err := scriptSumBytes.run(ctx, s.client, call{keys: []string{s.keys.size}})[0].Error(); err != nil {
		return wrapErr("compact", callErr(ctx, err))
	}
	if legacy > 0 {
		if err := s.client.Do(ctx, b.Del().Key(s.keys.legacyBytes).Build()).Error(); err != nil {
			return wrapErr("compact", callErr(ctx, err))
		}
	}
	return nil
}

// dropDeadEntries walks the size hash, which lists every indexed frame,
// and drops the entries of frames missing a key.
func (s *Store) dropDeadEntries(ctx context.Context) error {
	cursor := uint64(0)
	for range compactRounds {
		next, err := s.dropDeadPage(ctx, cursor)
		if err != nil || next == 0 {
			return err
		}
		cursor = next
	}
	return nil
}

// dropDeadPage handles one HSCAN page of the size hash and returns the
// next cursor.
func (s *Store) dropDeadPage(ctx context.Context, cursor uint64) (uint64, error) {
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	entry, err := s.client.Do(ctx, s.client.B().Hscan().Key(s.keys.size).Cursor(cursor).Count(sweepPage).Build()).AsScanEntry()
	if err != nil {
		return 0, wrapErr("compact", callErr(ctx, err))
	}
	ids := make([]string, 0, len(entry.Elements)/2)
	for i := 0; i+1 < len(entry.Elements); i += 2 {
		if entry.Elements[i] != bytesField {
			ids = append(ids, entry.Elements[i])
		}
	}
	_, dead, err := s.readMetas(ctx, ids)
	if err == nil {
		err = s.removeFromIndex(ctx, "", dead...)
	}
	return entry.Cursor, err
}

// scanFrames scans every node for the frame and meta keys of the prefix:
// lone halves are deleted, whole frames the size hash does not list are
// indexed.
func (s *Store) scanFrames(ctx context.Context) error {
	var errs []error
	for _, node := range s.client.Nodes() {
		cursor := uint64(0)
		for range compactRounds {
			next, err := s.scanFramesPage(ctx, node, cursor)
			if err != nil {
				if !isReadOnlyReplica(err) {
					errs = append(errs, err)
				}
				break
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// scanFramesPage handles one SCAN page of a node and returns the next
// cursor.
func (s *Store) scanFramesPage(ctx context.Context, node rueidis.Client, cursor uint64) (uint64, error) {
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(s.keys.framePattern()).Count(sweepPage).Build()).AsScanEntry()
	if err != nil {
		return 0, wrapErr("compact", callErr(ctx, err))
	}
	seen := make(map[string]bool, len(entry.Elements))
	var ids []string
	for _, k := range entry.Elements {
		if id := s.keys.idOf(k); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	whole, err := s.reapHalves(ctx, ids)
	if err == nil {
		err = s.indexMissing(ctx, whole)
	}
	return entry.Cursor, err
}

// isReadOnlyReplica reports a replica refusing a command (a cluster node
// that is a replica): its keys are scanned on its primary.
func isReadOnlyReplica(err error) bool {
	var e *rueidis.RedisError
	return errors.As(err, &e) && hasCode(e, "READONLY")
}

// reapHalves deletes the lone key of each frame of ids that has only one,
// and returns the frames that have both.
func (s *Store) reapHalves(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	calls := make([]call, len(ids))
	for i, id := range ids {
		calls[i] = call{keys: []string{s.keys.frame(id), s.keys.meta(id)}}
	}
	var whole []string
	for i, r := range scriptReap.run(ctx, s.client, calls...) {
		n, err := r.AsInt64()
		if err != nil {
			return nil, wrapErr("compact "+ids[i], callErr(ctx, err))
		}
		if n == 2 {
			whole = append(whole, ids[i])
		}
	}
	return whole, nil
}

// indexMissing adds to the indexes those of ids that are alive and not
// indexed, with the statistics of their meta hash.
func (s *Store) indexMissing(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	known, err := s.client.Do(ctx, s.client.B().Hmget().Key(s.keys.size).Field(ids...).Build()).ToArray()
	if err != nil {
		return wrapErr("compact", callErr(ctx, err))
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
	if err := scriptIndexPut.run(ctx, s.client, call{keys: s.keys.index(), args: args})[0].Error(); err != nil {
		return wrapErr("compact", callErr(ctx, err))
	}
	return nil
}
