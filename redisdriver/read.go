package redisdriver

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// Get returns the frame with the given ID in one round trip, and renews
// the TTL of its keys (unless durable) when less than nine tenths of it is
// left, so that a frame read keeps at least 90 % of its TTL without every
// read writing to Redis. It does not count as an access for the eviction
// order (see [Store.Touch]).
//
// A frame of which Redis holds only one of the two keys (the other expired
// or was evicted) is missing: ok is false and the error nil. The document
// is inflated and checked against the size and CRC-32C of the meta hash; a
// copy that fails (damaged, or written by another client) is never
// returned: the error wraps driver.ErrCorrupt. Record.Compressed holds the
// stored brotli bytes.
func (s *Store) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if err := s.check("get"); err != nil {
		return driver.Record{}, false, err
	}
	if err := checkID("get", id); err != nil {
		return driver.Record{}, false, err
	}
	ctx, cancel := s.bound(ctx, s.opts.Timeout)
	defer cancel()
	res := scriptGet.run(ctx, s.client, s.getCall(id))
	pair, err := res[0].ToArray()
	if err != nil {
		return driver.Record{}, false, wrapErr("get "+id, callErr(ctx, err))
	}
	if len(pair) != 2 {
		return driver.Record{}, false, corrupt("get", id, "unexpected script reply")
	}
	return s.decodeFrame(id, &pair[0], &pair[1])
}

// GetMany returns the frames found among ids, in one pipeline, under the
// rules of Get; missing and half-evicted frames are left out. When copies
// are damaged it returns every sound copy with a *driver.CorruptError
// naming the damaged ones. When Redis cannot be reached it returns no
// record and an error wrapping driver.ErrUnavailable.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if err := s.check("get"); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkID("get", id); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	calls := make([]call, len(ids))
	for i, id := range ids {
		calls[i] = s.getCall(id)
	}
	res := scriptGet.run(ctx, s.client, calls...)
	recs := make([]driver.Record, 0, len(ids))
	var damaged corruptIDs
	for i, id := range ids {
		pair, err := res[i].ToArray()
		if err != nil {
			if err = wrapErr("get "+id, callErr(ctx, err)); isCorrupt(err) {
				damaged.add(id, err)
				continue
			}
			return nil, err
		}
		if len(pair) != 2 {
			damaged.add(id, corrupt("get", id, "unexpected script reply"))
			continue
		}
		rec, ok, err := s.decodeFrame(id, &pair[0], &pair[1])
		switch {
		case err != nil:
			damaged.add(id, err)
		case ok:
			recs = append(recs, rec)
		}
	}
	return recs, damaged.err()
}

// GetMetas implements driver.MetaGetter: the metadata of the frames found
// among ids, read from their meta hashes in one pipeline, without reading
// or inflating any document and without renewing any TTL. Missing and
// half-evicted frames are left out; damaged meta hashes are reported as in
// GetMany, with the sound ones.
func (s *Store) GetMetas(ctx context.Context, ids []string) ([]driver.Meta, error) {
	if err := s.check("get metas"); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkID("get metas", id); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	b := s.client.B()
	cmds := make(rueidis.Commands, 0, 2*len(ids))
	for _, id := range ids {
		cmds = append(cmds,
			b.Exists().Key(s.keys.frame(id)).Build(),
			b.Hmget().Key(s.keys.meta(id)).Field(metaFields...).Build())
	}
	res := s.client.DoMulti(ctx, cmds...)
	metas := make([]driver.Meta, 0, len(ids))
	var damaged corruptIDs
	for i, id := range ids {
		n, err := res[2*i].AsInt64()
		if err != nil {
			return nil, wrapErr("get metas", callErr(ctx, err))
		}
		vals, err := res[2*i+1].ToArray()
		if err != nil {
			if err = wrapErr("get metas "+id, callErr(ctx, err)); isCorrupt(err) {
				damaged.add(id, err)
				continue
			}
			return nil, err
		}
		if n == 0 {
			continue // no document: missing, or half evicted
		}
		m, ok, err := parseMeta(id, vals)
		switch {
		case err != nil:
			damaged.add(id, fmt.Errorf("redisdriver: get metas: %w", err))
		case ok:
			metas = append(metas, m)
		}
	}
	return metas, damaged.err()
}

// corruptIDs collects the damaged copies met by a call on several frames.
type corruptIDs struct {
	ids   []string
	first error
}

func (c *corruptIDs) add(id string, err error) {
	c.ids = append(c.ids, id)
	if c.first == nil {
		c.first = err
	}
}

// err returns a *driver.CorruptError naming the damaged copies, or nil.
func (c *corruptIDs) err() error {
	if len(c.ids) == 0 {
		return nil
	}
	return &driver.CorruptError{IDs: c.ids, Err: c.first}
}

func isCorrupt(err error) bool { return err != nil && errors.Is(err, driver.ErrCorrupt) }

// getCall is the scriptGet call reading frame id.
func (s *Store) getCall(id string) call {
	return call{keys: []string{s.keys.frame(id), s.keys.meta(id)}, args: s.getArgs}
}

// decodeFrame turns the replies for a frame's document and meta fields
// into a verified record. A frame with only one of its two keys is
// missing: Redis expires and evicts the keys of a frame one at a time.
func (s *Store) decodeFrame(id string, doc, metaVals *rueidis.RedisMessage) (driver.Record, bool, error) {
	var rec driver.Record
	enc, err := doc.AsBytes()
	if rueidis.IsRedisNil(err) {
		return rec, false, nil // no document: missing, or half evicted
	}
	if err != nil {
		return rec, false, corrupt("get", id, err.Error())
	}
	vals, err := metaVals.ToArray()
	if err != nil {
		return rec, false, corrupt("get", id, "meta: "+err.Error())
	}
	meta, ok, err := parseMeta(id, vals)
	if err != nil {
		return rec, false, fmt.Errorf("redisdriver: get: %w", err)
	}
	if !ok {
		return rec, false, nil // no meta hash: half evicted
	}
	if meta.Size > s.opts.MaxFrameSize {
		return rec, false, corrupt("get", id, fmt.Sprintf("size %d over the limit", meta.Size))
	}
	data, err := codec.Decompress(enc, meta.Size)
	if err != nil {
		return rec, false, corrupt("get", id, err.Error())
	}
	if int64(len(data)) != meta.Size || driver.Checksum(data) != meta.Checksum {
		return rec, false, corrupt("get", id, "checksum mismatch")
	}
	rec.Meta = meta
	rec.Data = data
	rec.Compressed = append([]byte(nil), enc...)
	return rec, true, nil
}
