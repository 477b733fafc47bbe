package pgdriver

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stackmemoryai/tier/driver"
)

// Batching and reconnection of [Store.Subscribe].
const (
	// notifyBatchWait is how long Subscribe keeps gathering the frame IDs
	// of notifications that arrive right after one another before it
	// calls fn once with all of them.
	notifyBatchWait = 5 * time.Millisecond
	// notifyBatchIDs ends a batch early once it holds that many IDs.
	notifyBatchIDs = 1000
	// Reconnection backoff: from notifyRetryMin, doubling up to
	// notifyRetryMax, with jitter.
	notifyRetryMin = 100 * time.Millisecond
	notifyRetryMax = 5 * time.Second
)

// Subscribe reports changes to the archive made by any process or machine
// using the same database and schema: fn receives the IDs of frames
// written (new, or a new version) or deleted, several notifications
// gathered into one call, one call at a time. It listens on a connection
// of its own (not one of the pool's), on the channel the schema's trigger
// notifies (migration 0003); access statistics (Touch) are not changes.
// fn should return promptly: notifications wait while it runs, and Close
// waits for it.
//
// Subscribe returns once it is listening, or with an error wrapping
// driver.ErrUnavailable when it cannot be. When the connection is lost, fn
// gets Change{Reset: true, Lost: true} at once (changes are missed until
// it is back); it reconnects with backoff and then calls fn with
// Change{Reset: true}. It stops when ctx is
// done or the Store is closed; Close waits for it.
func (s *Store) Subscribe(ctx context.Context, fn func(driver.Change)) error {
	if err := s.checkOpen("subscribe"); err != nil {
		return err
	}
	conn, channel, err := s.listen(ctx)
	if err != nil {
		return err
	}
	s.subsMu.Lock()
	if s.closed.Load() {
		s.subsMu.Unlock()
		_ = conn.Close(context.Background())
		return s.checkOpen("subscribe")
	}
	s.subs.Add(2)
	s.subsMu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	go func() { // Close ends the subscription
		defer s.subs.Done()
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		defer s.subs.Done()
		defer cancel()
		s.receive(ctx, conn, channel, fn)
	}()
	return nil
}

// listen opens a dedicated connection and listens on the archive's
// notification channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.BatchTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.opts.Pool.ConnConfig.Copy())
	if err != nil {
		return nil, "", s.listenErr(ctx, err)
	}
	var schema string
	err = conn.QueryRow(cctx, "SELECT current_schema()").Scan(&schema)
	channel := notifyChannel(schema)
	if err == nil {
		_, err = conn.Exec(cctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	}
	if err != nil {
		_ = conn.Close(context.Background())
		return nil, "", s.listenErr(ctx, err)
	}
	return conn, channel, nil
}

// listenErr wraps a failure to set up listening: the caller's context
// error when it ended, driver.ErrUnavailable otherwise.
func (s *Store) listenErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return wrapErr("subscribe", &callerDone{ctxErr: ctx.Err(), err: err})
	}
	err = wrapErr("subscribe", err)
	if !errors.Is(err, driver.ErrUnavailable) && !errors.Is(err, driver.ErrBadDSN) {
		err = wrapErr("subscribe", errors.Join(driver.ErrUnavailable, err))
	}
	return err
}

// notifyChannel is the channel the trigger of migration 0003 notifies for
// the archive in schema: the same expression as the trigger's.
func notifyChannel(schema string) string {
	sum := md5.Sum([]byte(schema))
	return "tier_frames_" + hex.EncodeToString(sum[:])[:16]
}

// receive delivers the notifications of conn to fn until ctx is done,
// reconnecting when the connection is lost. It closes the connection it
// ends with.
func (s *Store) receive(ctx context.Context, conn *pgx.Conn, channel string, fn func(driver.Change)) {
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	for ctx.Err() == nil {
		ids, err := nextBatch(ctx, conn)
		if len(ids) > 0 {
			fn(driver.Change{IDs: ids})
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		// The connection is lost: say so at once (changes are missed from
		// now on), reconnect, then tell fn the channel is back.
		_ = conn.Close(context.Background())
		conn = nil
		fn(driver.Change{Reset: true, Lost: true})
		for wait := notifyRetryMin; conn == nil; wait = min(2*wait, notifyRetryMax) {
			jitter := time.Duration(rand.Int64N(int64(wait) / 2))
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait/2 + jitter):
			}
			conn, _, _ = s.listen(ctx)
		}
		fn(driver.Change{Reset: true})
	}
}

// nextBatch waits for a notification on conn, then gathers the IDs of
// those that follow within notifyBatchWait, up to notifyBatchIDs. An error
// means the connection is unusable (or ctx is done); the IDs gathered
// before it are returned with it.
func nextBatch(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		return nil, err
	}
	ids := splitIDs(nil, n.Payload)
	for len(ids) < notifyBatchIDs {
		wctx, cancel := context.WithTimeout(ctx, notifyBatchWait)
		n, err = conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil && !conn.IsClosed() {
				return ids, nil // no more for now
			}
			return ids, err
		}
		ids = splitIDs(ids, n.Payload)
	}
	return ids, nil
}

// splitIDs appends the comma-separated IDs of a payload to ids.
func splitIDs(ids []string, payload string) []string {
	for id := range strings.SplitSeq(payload, ",") {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
