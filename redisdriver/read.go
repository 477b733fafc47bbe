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
// the TTL of its keys (unless durable). It does not count as an access for
// the eviction order (see [Store.Touch]).
//
// The document is inflated and checked against the size and CRC-32C of the
// meta hash; a copy that fails (written by another client, damaged,
// half-evicted) is never returned: the error wraps driver.ErrCorrupt.
// Record.Compressed holds the stored brotli bytes.
func (s *Store) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if err := s.check(); err != nil {
		return driver.Record{}, false, err
	}
	if err := checkID(id); err != nil {
		return driver.Record{}, false, err
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	cmds := s.getCmds(make(rueidis.Commands, 0, 5), id)
	res := s.client.DoMulti(ctx, cmds...)
	return s.decodeGet(id, res)
}

// GetMany returns the frames found among ids, in one pipeline, under the
// rules of Get. It fails as a whole if any copy is corrupt or Redis cannot
// be reached.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkID(id); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	calls := make([]call, len(ids))
	args := append([]string{s.ttl}, metaFields...)
	for i, id := range ids {
		calls[i] = call{keys: []string{s.keys.frame(id), s.keys.meta(id)}, args: args}
	}
	res := scriptGet.run(ctx, s.client, calls...)
	recs := make([]driver.Record, 0, len(ids))
	var errs []error
	for i, id := range ids {
		pair, err := res[i].ToArray()
		if err != nil {
			errs = append(errs, s.fail("get", id, err))
			continue
		}
		if len(pair) != 2 {
			errs = append(errs, fmt.Errorf("redisdriver: get %s: unexpected script reply", id))
			continue
		}
		rec, ok, err := s.decodeFrame(id, &pair[0], &pair[1])
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			recs = append(recs, rec)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return recs, nil
}

// getCmds appends the commands reading one frame, as one transaction so
// that no write lands between them: the document (renewing its TTL), the
// meta fields, and the renewal of the meta TTL.
func (s *Store) getCmds(cmds rueidis.Commands, id string) rueidis.Commands {
	fk, mk := s.keys.frame(id), s.keys.meta(id)
	b := s.client.B()
	cmds = append(cmds, b.Multi().Build())
	if s.opts.Durable {
		cmds = append(cmds, b.Get().Key(fk).Build())
	} else {
		cmds = append(cmds, b.Arbitrary("GETEX").Keys(fk).Args("PX", s.ttl).Build().ToRetryable())
	}
	cmds = append(cmds, b.Hmget().Key(mk).Field(metaFields...).Build())
	if !s.opts.Durable {
		cmds = append(cmds, b.Pexpire().Key(mk).Milliseconds(s.opts.TTL.Milliseconds()).Build())
	}
	return append(cmds, b.Exec().Build())
}

// decodeGet reads the replies of getCmds.
func (s *Store) decodeGet(id string, res []rueidis.RedisResult) (driver.Record, bool, error) {
	var rec driver.Record
	for i := range res {
		if err := res[i].NonRedisError(); err != nil {
			return rec, false, s.fail("get", id, err)
		}
	}
	replies, err := res[len(res)-1].ToArray() // EXEC: the replies of the transaction
	if err != nil {
		return rec, false, s.fail("get", id, err)
	}
	if len(replies) < 2 {
		return rec, false, fmt.Errorf("redisdriver: get %s: unexpected transaction reply", id)
	}
	for i := range replies {
		if err := replies[i].Error(); err != nil && !rueidis.IsRedisNil(err) {
			return rec, false, s.fail("get", id, err)
		}
	}
	return s.decodeFrame(id, &replies[0], &replies[1])
}

// decodeFrame turns the replies for a frame's document and meta fields
// into a verified record.
func (s *Store) decodeFrame(id string, doc, metaVals *rueidis.RedisMessage) (driver.Record, bool, error) {
	var rec driver.Record
	enc, err := doc.AsBytes()
	if rueidis.IsRedisNil(err) {
		return rec, false, nil // no document: missing, or a meta hash about to expire
	}
	if err != nil {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: %v", id, driver.ErrCorrupt, err)
	}
	vals, err := metaVals.ToArray()
	if err != nil {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: meta: %v", id, driver.ErrCorrupt, err)
	}
	meta, ok, err := parseMeta(id, vals)
	if err != nil {
		return rec, false, fmt.Errorf("redisdriver: get: %w", err)
	}
	if !ok {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: document without meta hash", id, driver.ErrCorrupt)
	}
	if meta.Size > s.opts.MaxFrameSize {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: size %d over the limit", id, driver.ErrCorrupt, meta.Size)
	}
	data, err := codec.Decompress(enc, meta.Size)
	if err != nil {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: %v", id, driver.ErrCorrupt, err)
	}
	if int64(len(data)) != meta.Size || driver.Checksum(data) != meta.Checksum {
		return rec, false, fmt.Errorf("redisdriver: get %s: %w: checksum mismatch", id, driver.ErrCorrupt)
	}
	rec.Meta = meta
	rec.Data = data
	rec.Compressed = append([]byte(nil), enc...)
	return rec, true, nil
}
