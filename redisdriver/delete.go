package redisdriver

import (
	"context"
	"strconv"

	"github.com/stackmemoryai/tier/driver"
)

// deleteChunk bounds the deletions one script call handles on a single
// Redis, so that a large batch does not block the server for long.
const deleteChunk = 256

// Delete removes the frame if the stored Version is at most upTo (pass
// driver.AnyVersion for any); a newer copy is kept. Deleting a missing
// frame returns nil and drops any index entry, or half-evicted key, left
// for it. It is bounded by Options.Timeout.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	if err := s.check("delete"); err != nil {
		return err
	}
	if err := checkID("delete", id); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx, s.opts.Timeout)
	defer cancel()
	return s.deleteAll(ctx, []driver.Deletion{{ID: id, UpTo: upTo}})
}

// DeleteMany implements driver.BatchDeleter: each deletion under the rules
// of Delete, in one round trip on a single Redis (one script call per
// 256 frames, pipelined), bounded by Options.BatchTimeout. On a Redis
// Cluster a script may only touch one hash slot: the frames' scripts go
// out in one pipeline, which rueidis sends to each node in one round trip,
// and the index update follows in one more.
func (s *Store) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	if err := s.check("delete"); err != nil {
		return err
	}
	for _, d := range dels {
		if err := checkID("delete", d.ID); err != nil {
			return err
		}
	}
	if len(dels) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	return s.deleteAll(ctx, dels)
}

// deleteAll runs the delete scripts for dels.
func (s *Store) deleteAll(ctx context.Context, dels []driver.Deletion) error {
	if s.cluster {
		return s.deleteCluster(ctx, dels)
	}
	var calls []call
	for start := 0; start < len(dels); start += deleteChunk {
		chunk := dels[start:min(start+deleteChunk, len(dels))]
		c := call{
			keys: make([]string, 0, len(s.keys.index())+2*len(chunk)),
			args: make([]string, 0, 2*len(chunk)),
		}
		c.keys = append(c.keys, s.keys.index()...)
		for _, d := range chunk {
			c.keys = append(c.keys, s.keys.frame(d.ID), s.keys.meta(d.ID))
			c.args = append(c.args, strconv.FormatUint(d.UpTo, 10), d.ID)
		}
		calls = append(calls, c)
	}
	for _, r := range scriptDeleteMany.run(ctx, s.client, calls...) {
		if err := r.Error(); err != nil {
			return wrapErr("delete", callErr(ctx, err))
		}
	}
	return nil
}

// deleteCluster deletes each frame with its own script (its two keys share
// a slot), then drops the deleted frames from the indexes.
func (s *Store) deleteCluster(ctx context.Context, dels []driver.Deletion) error {
	calls := make([]call, len(dels))
	for i, d := range dels {
		calls[i] = call{keys: []string{s.keys.frame(d.ID), s.keys.meta(d.ID)}, args: []string{strconv.FormatUint(d.UpTo, 10)}}
	}
	var gone []string
	var firstErr error
	for i, r := range scriptFrameDelete.run(ctx, s.client, calls...) {
		n, err := r.AsInt64()
		if err != nil {
			if firstErr == nil {
				firstErr = wrapErr("delete "+dels[i].ID, callErr(ctx, err))
			}
			continue
		}
		if n == 1 {
			gone = append(gone, dels[i].ID)
		}
	}
	// The index entries of the frames deleted go even when others failed.
	if err := s.removeFromIndex(ctx, "", gone...); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}
