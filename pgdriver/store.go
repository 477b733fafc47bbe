package pgdriver

import (
	"context"
	"fmt"
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

// Open parses dsn with [ParseURL] and opens a [Store] with [Open].
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
// A Store is safe for concurrent use. Every method honours its context and,
// when the context has no deadline, gives itself Options.Timeout. Errors
// wrap driver.ErrUnavailable when the server cannot be reached or does not
// answer in time, and driver.ErrClosed once the Store is closed.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	closed atomic.Bool
}

var (
	_ driver.Tier      = (*Store)(nil)
	_ driver.Querier   = (*Store)(nil)
	_ driver.Batcher   = (*Store)(nil)
	_ driver.Pinger    = (*Store)(nil)
	_ driver.Compactor = (*Store)(nil)
)

// Open connects to the database described by o.Pool, migrates the schema
// to [SchemaVersion] and returns the Store. Several processes may open the
// same database at once: migrations are serialized by an advisory lock and
// every opener succeeds. Errors never contain the password; a server that
// cannot be reached gives an error wrapping driver.ErrUnavailable.
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
	s := &Store{pool: pool, opts: o}
	err = pool.Ping(ctx)
	if err == nil {
		err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		err = s.classify(ctx, "open", err)
		return nil, &scrubbedError{msg: scrub(err.Error(), secrets), err: err}
	}
	return s, nil
}

// Durable reports true: the archive keeps every frame until it is deleted
// or expires by retention.
func (s *Store) Durable() bool { return true }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.run(ctx, "ping", 0, true, func(ctx context.Context) error {
		return s.pool.Ping(ctx)
	})
}

// Close closes the pool, waiting for calls in progress to release their
// connections. A second Close returns an error wrapping driver.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return fmt.Errorf("pgdriver: close: %w", driver.ErrClosed)
	}
	s.pool.Close()
	return nil
}

// run calls fn with a context bounded by the Store's timeout (plus one
// millisecond per item of a batch) when ctx has no deadline. When fn fails
// because its connection was lost, fn is tried again on another connection
// if idempotent, or if nothing was sent. The error is classified for op.
func (s *Store) run(ctx context.Context, op string, items int, idempotent bool, fn func(context.Context) error) error {
	if err := s.checkOpen(op); err != nil {
		return err
	}
	cctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, s.opts.Timeout+time.Duration(items)*time.Millisecond)
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
	return s.classify(ctx, op, err)
}

// checkOpen returns an error wrapping driver.ErrClosed once s is closed.
func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("pgdriver: %s: %w", op, driver.ErrClosed)
	}
	return nil
}
