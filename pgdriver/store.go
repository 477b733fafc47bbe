package pgdriver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func init() {
	tier.Register("postgres", Driver{})
	tier.Register("postgresql", Driver{})
}

// Driver opens a [Store] from a postgres:// or postgresql:// URL. It is
// registered with the tier package under both schemes.
type Driver struct{}

// Open parses dsn with [ParseURL] and opens a [Store] with [Open]. On
// error the Tier is nil (a nil interface) and nothing is left open.
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	o, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openTimeout bounds Open (connect and migrate) when ctx has no deadline.
const openTimeout = 30 * time.Second

// maxAttempts bounds how many connections an idempotent call tries when
// the previous one was found broken: after a server restart every idle
// connection of the pool is broken, so up to the pool size plus a new one.
const maxAttempts = 11

// Store is the PostgreSQL cold tier: frames kept in the frames_archive
// table through a pgx connection pool.
//
// A Store is safe for concurrent use. Every method honours its context
// and, when the context has no deadline, gives itself Options.Timeout or
// Options.BatchTimeout. Errors wrap driver.ErrUnavailable when the server
// cannot be reached or does not answer in time, the context's error when
// the caller's context ended first, and driver.ErrClosed once the Store is
// closed.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	closed atomic.Bool

	// subs tracks the goroutines of Subscribe; Close stops and waits for
	// them.
	subsMu sync.Mutex
	stop   chan struct{} // closed by Close
	subs   sync.WaitGroup
}

var (
	_ driver.Tier         = (*Store)(nil)
	_ driver.Querier      = (*Store)(nil)
	_ driver.Batcher      = (*Store)(nil)
	_ driver.BatchDeleter = (*Store)(nil)
	_ driver.MetaGetter   = (*Store)(nil)
	_ driver.Pinger       = (*Store)(nil)
	_ driver.Compactor    = (*Store)(nil)
	_ driver.SizeLimiter  = (*Store)(nil)
	_ driver.Aser         = (*Store)(nil)
	_ driver.Notifier     = (*Store)(nil)
	_ driver.Tombstoner   = (*Store)(nil)
)

// Open connects to the database described by o.Pool, migrates the schema
// to [SchemaVersion] and returns the Store. Several processes may open the
// same database at once: migrations are serialized by an advisory lock and
// every opener succeeds.
//
// Errors never contain the password. Bad options, a database or schema
// that does not exist and credentials the server refuses wrap
// driver.ErrBadDSN; a server that cannot be reached wraps
// driver.ErrUnavailable. On error nothing is left open.
func Open(ctx context.Context, o Options) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, openTimeout)
		defer cancel()
	}
	secrets := []string{o.Pool.ConnConfig.Password}
	pool, err := pgxpool.NewWithConfig(ctx, o.Pool)
	if err != nil {
		return nil, fmt.Errorf("%w: pgdriver: %s", driver.ErrBadDSN, scrub(err.Error(), secrets))
	}
	err = pool.Ping(ctx)
	if err == nil {
		err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		if ctx.Err() != nil {
			err = &callerDone{ctxErr: ctx.Err(), err: err}
		}
		err = wrapErr("open", err)
		return nil, &scrubbedError{msg: scrub(err.Error(), secrets), err: err}
	}
	return &Store{pool: pool, opts: o, stop: make(chan struct{})}, nil
}

// Durable reports true: the archive keeps every frame until it is deleted
// or expires by retention.
func (s *Store) Durable() bool { return true }

// MaxFrameSize reports [MaxFrameSize], the largest document the Store
// accepts; Put refuses a larger one with driver.ErrInvalidRecord.
func (s *Store) MaxFrameSize() int64 { return MaxFrameSize }

// As sets target to the Store's connection pool when target is a
// **pgxpool.Pool, and reports whether it did. A host may run its own
// queries on the pool (analytics on frames_archive, say); what it does
// there is outside every promise of the driver, and the pool is closed by
// [Store.Close].
func (s *Store) As(target any) bool {
	p, ok := target.(**pgxpool.Pool)
	if ok {
		*p = s.pool
	}
	return ok
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.run(ctx, "ping", false, true, func(ctx context.Context) error {
		return s.pool.Ping(ctx)
	})
}

// Close stops the subscriptions of [Store.Subscribe], waits for them, and
// closes the pool, waiting for calls in progress to release their
// connections. A second Close returns an error wrapping driver.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return wrapErr("close", driver.ErrClosed)
	}
	s.subsMu.Lock()
	close(s.stop)
	s.subsMu.Unlock()
	s.subs.Wait()
	s.pool.Close()
	return nil
}

// run calls fn with a context bounded by the Store's timeout (the batch
// timeout when batch is set) when ctx has no deadline. When fn fails
// because its connection was lost, fn is tried again on another connection
// if idempotent, or if nothing was sent. The error is wrapped for op.
func (s *Store) run(ctx context.Context, op string, batch, idempotent bool, fn func(context.Context) error) error {
	if err := s.checkOpen(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return wrapErr(op, &callerDone{ctxErr: err})
	}
	cctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		d := s.opts.Timeout
		if batch {
			d = s.opts.BatchTimeout
		}
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var err error
	for range min(int(s.opts.Pool.MaxConns)+1, maxAttempts) {
		err = fn(cctx)
		retry := pgconn.SafeToRetry(err) || (idempotent && connectionLost(err))
		if err == nil || !retry || cctx.Err() != nil || pgconn.Timeout(err) || s.closed.Load() {
			break
		}
	}
	switch {
	case err == nil:
		return nil
	case s.closed.Load():
		return wrapErr(op, fmt.Errorf("%w (%w)", driver.ErrClosed, err))
	case ctx.Err() != nil:
		return wrapErr(op, &callerDone{ctxErr: ctx.Err(), err: err})
	}
	return wrapErr(op, err)
}

// checkOpen returns an error wrapping driver.ErrClosed once s is closed.
func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return wrapErr(op, driver.ErrClosed)
	}
	return nil
}
