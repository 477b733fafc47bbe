package contextdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/sqliteconn"
)

func init() { tier.Register(Scheme, Driver{}) }

// Driver opens a [Store] from a "contextdb:" URL. It is registered with the
// tier package under [Scheme]. The zero value is ready to use.
type Driver struct{}

var _ driver.Driver = Driver{}

// Open parses dsn with [ParseURL] and opens the file with [Open]. On error
// the Tier is nil.
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

// Store is a tier over an upstream StackMemory context.db, adopted in
// place. Every method is safe for concurrent use, and several processes
// (upstream StackMemory included) may use the file at once: writes of
// this process queue on one connection, reads use a pool and run beside
// writes (WAL), and a write waits up to the busy timeout for another
// process's lock before failing with driver.ErrUnavailable.
type Store struct {
	path   string
	opts   Options
	layout *layout
	w      *sqlx.DB // exactly one connection: every write
	r      *sqlx.DB // the read pool
	wstmts *stmtCache
	rstmts *stmtCache
	closed atomic.Bool
}

var (
	_ driver.Tier         = (*Store)(nil)
	_ driver.Querier      = (*Store)(nil)
	_ driver.Batcher      = (*Store)(nil)
	_ driver.BatchDeleter = (*Store)(nil)
	_ driver.MetaGetter   = (*Store)(nil)
	_ driver.Pinger       = (*Store)(nil)
	_ driver.Compactor    = (*Store)(nil)
	_ driver.Aser         = (*Store)(nil)
)

// Open adopts the context.db at o.Path (see the package documentation for
// what adoption adds; a file adopted before is only checked) and encodes
// the documents of frames upstream wrote since. The file must exist: a
// missing file or one that is not an upstream context.db fails with an
// error wrapping driver.ErrBadDSN ([ErrNotContextDB]), and nothing is
// created or changed. A file adopted by a newer release fails with
// [ErrSchemaTooNew]; a file locked beyond the busy timeout or unreadable
// with driver.ErrUnavailable.
func Open(ctx context.Context, o Options) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: contextdb: path %s: %w", driver.ErrBadDSN, o.Path, err)
	}
	if err := probe(ctx, abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: contextdb: %s does not exist: %w", driver.ErrBadDSN, abs, err)
		}
		return nil, wrapErr("open "+abs, withCtx(ctx, err))
	}
	s := &Store{path: abs, opts: o}
	if err := s.open(ctx); err != nil {
		_ = s.closeAll()
		return nil, wrapErr("open "+abs, withCtx(ctx, err))
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	init := connInit(s.opts.BusyTimeout)
	var err error
	if s.w, err = sqliteconn.Open(s.path, sqliteconn.Immediate, init); err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	if s.r, err = sqliteconn.Open(s.path, sqliteconn.Deferred, init); err != nil {
		return err
	}
	s.r.SetMaxOpenConns(s.opts.MaxConns)
	s.r.SetMaxIdleConns(s.opts.MaxConns)
	s.wstmts = &stmtCache{} // none yet: adoption runs unprepared
	err = s.inTx(ctx, func(q cachedTx) error {
		l, err := adopt(ctx, q.tx)
		s.layout = l
		return err
	})
	if err != nil {
		return err
	}
	if s.wstmts, err = newStmtCache(ctx, s.w, s.layout.writeTexts()...); err != nil {
		return err
	}
	if s.rstmts, err = newStmtCache(ctx, s.r, s.layout.readTexts()...); err != nil {
		return err
	}
	return s.refresh(ctx)
}

// connInit prepares every connection: busy timeout first, FTS5 (upstream's
// own triggers write its frames_fts), the LFU function, then the pragmas.
// Foreign keys are not enforced on the driver's connections: a frame may
// come back before its parent does (see "Foreign keys" in the package
// documentation); the driver deletes a frame's events and anchors itself.
func connInit(busy time.Duration) func(*sqlite3.Conn) error {
	return func(c *sqlite3.Conn) error {
		if err := c.BusyTimeout(busy); err != nil {
			return err
		}
		if err := fts5.Register(c); err != nil {
			return err
		}
		if err := registerFunctions(c); err != nil {
			return err
		}
		return c.Exec(`PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = OFF;
PRAGMA temp_store = MEMORY;`)
	}
}

// Path returns the absolute path of the file.
func (s *Store) Path() string { return s.path }

// Durable reports true: a committed frame survives a crash of the process
// and is never evicted on its own.
func (s *Store) Durable() bool { return true }

// Ping checks that the file can be read. It fails with driver.ErrClosed
// after Close and driver.ErrUnavailable when the file cannot be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	var n int
	err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM tier_adoption`)
	return wrapErr("ping", withCtx(ctx, err))
}

// As sets target to the read pool when it is a **sqlx.DB or a **sql.DB,
// and reports whether it did. Upstream's tables may be written through it
// as upstream writes them: the triggers keep the tier in step. The
// driver's own tables (tier_*) must be left to the driver.
func (s *Store) As(target any) bool {
	switch t := target.(type) {
	case **sqlx.DB:
		*t = s.r
	case **sql.DB:
		*t = s.r.DB
	default:
		return false
	}
	return true
}

// Close closes the connections. A second Close returns an error wrapping
// driver.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return errClosed("close")
	}
	return wrapErr("close", s.closeAll())
}

func (s *Store) closeAll() error {
	err := errors.Join(s.wstmts.close(), s.rstmts.close())
	if s.r != nil {
		err = errors.Join(err, s.r.Close())
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) on the writer
// connection, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(cachedTx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(s.wstmts.in(tx)); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, rbErr)
		}
		return err
	}
	return tx.Commit()
}

// readTx runs fn in a read transaction on the read pool: its statements
// see one snapshot of the file. It is a plain deferred transaction, not a
// database/sql read-only one: the driver implements those by switching
// PRAGMA query_only, which expires every prepared statement of the
// connection, and the pool only reads anyway.
func (s *Store) readTx(ctx context.Context, fn func(cachedTx) error) error {
	tx, err := s.r.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return fn(s.rstmts.in(tx))
}

// fileExists reports an error wrapping fs.ErrNotExist when path is missing.
func fileExists(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrNotContextDB, path)
	}
	return nil
}
