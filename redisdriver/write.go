package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// Put stores rec unless Redis holds the frame with a greater Version, in
// which case it does nothing and returns nil. The document is written
// brotli-compressed (rec.Compressed as it is when given, else rec.Data
// compressed at Options.CompressionLevel), with the meta hash, the TTL
// (unless durable) and the index entries. On a single Redis all of it is
// one atomic script; on a cluster the index update follows the frame's
// script (see the package documentation).
//
// Access statistics are taken from rec for a frame new to Redis and kept
// otherwise. A record whose ID cannot name a key, whose Size or Checksum
// does not describe Data, whose Version is over math.MaxInt64 or whose
// document is over Options.MaxFrameSize is refused with an error wrapping
// driver.ErrInvalidRecord. The call is bounded by Options.Timeout, or
// Options.BatchTimeout for a document over BigFrame bytes; compression
// happens before the clock starts.
func (s *Store) Put(ctx context.Context, rec driver.Record) error {
	if err := s.check("put"); err != nil {
		return err
	}
	w, err := s.prepare(rec)
	if err != nil {
		return err
	}
	limit := s.opts.Timeout
	if rec.Size > BigFrame {
		limit = s.opts.BatchTimeout
	}
	ctx, cancel := s.bound(ctx, limit)
	defer cancel()
	return s.write(ctx, []pendingWrite{w})
}

// PutMany stores every record under the rules of Put, pipelined: one round
// trip on a single Redis, two on a cluster, bounded by
// Options.BatchTimeout. Records are validated before anything is written;
// after a network failure some may have been written.
func (s *Store) PutMany(ctx context.Context, recs []driver.Record) error {
	if err := s.check("put"); err != nil {
		return err
	}
	ws := make([]pendingWrite, len(recs))
	for i, rec := range recs {
		w, err := s.prepare(rec)
		if err != nil {
			return err
		}
		ws[i] = w
	}
	if len(ws) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	return s.write(ctx, ws)
}

// pendingWrite is a record ready for the put scripts.
type pendingWrite struct {
	id   string
	args []string // frame_put arguments
	age  string   // created_at score
}

// prepare validates rec and encodes it as script arguments.
func (s *Store) prepare(rec driver.Record) (pendingWrite, error) {
	id := rec.ID
	if err := checkID("put", id); err != nil {
		return pendingWrite{}, err
	}
	if rec.Size != int64(len(rec.Data)) || rec.Checksum != driver.Checksum(rec.Data) {
		return pendingWrite{}, invalid("put", id, "Size and Checksum do not describe Data")
	}
	if rec.Version > math.MaxInt64 {
		return pendingWrite{}, invalid("put", id, fmt.Sprintf("version %d over math.MaxInt64", rec.Version))
	}
	if rec.Size > s.opts.MaxFrameSize {
		return pendingWrite{}, invalid("put", id, fmt.Sprintf("document of %d bytes over the %d-byte limit (max_frame_size)", rec.Size, s.opts.MaxFrameSize))
	}
	m, err := encodeMeta(rec.Meta)
	if err != nil {
		return pendingWrite{}, invalid("put", id, err.Error())
	}
	enc := rec.Compressed
	if enc == nil {
		enc = codec.Compress(rec.Data, s.opts.CompressionLevel)
	}
	return pendingWrite{
		id: id,
		args: []string{
			m.version, rueidis.BinaryString(enc), s.ttl, m.checksum, m.size,
			m.session, m.project, m.parent, m.createdAt, m.accessedAt, m.count, m.lfu,
		},
		age: m.createdAt,
	}, nil
}

// write runs the put scripts for ws.
func (s *Store) write(ctx context.Context, ws []pendingWrite) error {
	exp := s.expireAt(time.Now())
	calls := make([]call, len(ws))
	if !s.cluster {
		for i, w := range ws {
			calls[i] = call{
				keys: append([]string{s.keys.frame(w.id), s.keys.meta(w.id)}, s.keys.index()...),
				args: append(w.args, w.id, w.age, exp),
			}
		}
		_, err := s.collectPuts(ctx, ws, scriptPut.run(ctx, s.client, calls...))
		return err
	}
	for i, w := range ws {
		calls[i] = call{keys: []string{s.keys.frame(w.id), s.keys.meta(w.id)}, args: w.args}
	}
	idx, err := s.collectPuts(ctx, ws, scriptFramePut.run(ctx, s.client, calls...))
	if len(idx) > 0 {
		res := scriptIndexPut.run(ctx, s.client, call{keys: s.keys.index(), args: idx})
		if ierr := res[0].Error(); ierr != nil {
			err = errors.Join(err, wrapErr("put (index)", callErr(ctx, ierr)))
		}
	}
	return err
}

// collectPuts reads the replies of the put scripts, and returns the
// index_put arguments of the frames written.
func (s *Store) collectPuts(ctx context.Context, ws []pendingWrite, res []rueidis.RedisResult) ([]string, error) {
	exp := s.expireAt(time.Now())
	var idx []string
	var errs []error
	for i, r := range res {
		vals, err := r.ToArray()
		if err != nil {
			errs = append(errs, wrapErr("put "+ws[i].id, callErr(ctx, err)))
			continue
		}
		if len(vals) != 4 {
			errs = append(errs, fmt.Errorf("redisdriver: put %s: unexpected script reply %v", ws[i].id, vals))
			continue
		}
		applied, _ := vals[0].AsInt64()
		if applied != 1 {
			continue // a newer version is stored
		}
		existed, _ := vals[1].AsInt64()
		acc, _ := vals[2].ToString()
		lfu, _ := vals[3].ToString()
		fresh := "0"
		if existed == 0 {
			fresh = "1"
		}
		idx = append(idx, ws[i].id, fresh, acc, lfu, ws[i].age, exp, ws[i].args[4])
	}
	return idx, errors.Join(errs...)
}
