package sqlitedriver

import (
	"context"
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
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/sqliteconn"
)

// Scheme is the URL scheme of this driver: "sqlite".
const Scheme = "sqlite"

// Driver opens SQLite tiers from "sqlite:" URLs ([ParseURL] then [Open]).
// The zero value is ready to use and safe for concurrent use.
type Driver struct{}

var _ driver.Driver = Driver{}

// Open opens the tier described by dsn; see [ParseURL] for the accepted
// forms. A malformed URL or an unknown parameter fails with an error
// wrapping driver.ErrBadDSN; other failures are those of [Open]. On error
// the returned Tier is nil.
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	opts, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Store is the SQLite tier: one database file, shared safely by every
// goroutine of the process and by other processes opening the same file.
//
// All methods are safe for concurrent use. Writes of this process go
// through one connection, so they queue in the process (honouring ctx)
// instead of spinning on the file lock; reads use a pool of connections and
// run in parallel with writes (WAL). Between processes, a write waits up to
// the busy timeout for the lock and then fails with driver.ErrUnavailable.
type Store struct {
	path   string
	window int
	w      *sqlx.DB // exactly one connection: every write
	r      *sqlx.DB // the read pool
	stmts  statements
	closed atomic.Bool
	// deletes counts this process's deletes since the queue of deleted
	// frames' index entries was last looked at (flushStaleEvery).
	deletes atomic.Int64
}

var (
	_ driver.Tier         = (*Store)(nil)
	_ driver.Querier      = (*Store)(nil)
	_ driver.Batcher      = (*Store)(nil)
	_ driver.BatchDeleter = (*Store)(nil)
	_ driver.Pinger       = (*Store)(nil)
	_ driver.Compactor    = (*Store)(nil)
	_ driver.MetaGetter   = (*Store)(nil)
	_ driver.SizeLimiter  = (*Store)(nil)
	_ driver.Aser         = (*Store)(nil)
)

// Open opens, and creates when missing, the database file opts.Path, then
// brings its schema to [SchemaVersion]. Zero fields of opts mean their
// defaults.
//
// A missing directory is created with mode 0700; a new file, and its -wal
// and -shm companions, with mode 0600, whatever the umask. Several
// processes may open the same file at once.
//
// Open fails with an error wrapping driver.ErrBadDSN for bad options
// (before touching the file system), ErrSchemaTooNew when the file was
// written by a newer release, and driver.ErrUnavailable when the file
// cannot be opened or stays locked beyond the busy timeout. Files and
// directories that a failed Open created are removed again.
func Open(ctx context.Context, opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	op := "open " + o.Path
	created, err := prepareFiles(o.Path)
	if err != nil {
		return nil, wrapErr(op, fmt.Errorf("%w: %w", driver.ErrUnavailable, err))
	}
	s := &Store{path: o.Path, window: o.SearchWindow}
	if err := s.open(ctx, o); err != nil {
		_ = s.closeAll()
		removeCreated(created)
		return nil, s.fail(ctx, op, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, o Options) error {
	var err error
	if s.w, err = sqliteconn.Open(s.path, sqliteconn.Immediate, connInit(o.BusyTimeout, connPragmas+writerPragmas)); err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	if s.r, err = sqliteconn.Open(s.path, sqliteconn.Deferred, connInit(o.BusyTimeout, connPragmas)); err != nil {
		return err
	}
	s.r.SetMaxOpenConns(o.MaxConns)
	s.r.SetMaxIdleConns(o.MaxConns)
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	return s.stmts.prepare(ctx, s.r, s.w)
}

// connInit prepares every new connection: busy timeout first (later
// pragmas may need a lock), FTS5 and the functions of this package, then
// pragmas.
func connInit(busy time.Duration, pragmas string) func(*sqlite3.Conn) error {
	return func(c *sqlite3.Conn) error {
		if err := c.BusyTimeout(busy); err != nil {
			return err
		}
		if err := fts5.RegisterCustom(c, registerRank); err != nil {
			return err
		}
		if err := registerFunctions(c); err != nil {
			return err
		}
		return c.Exec(pragmas)
	}
}

// connPragmas run on every new connection. auto_vacuum comes before
// journal_mode: it only takes effect on a file with no pages yet, and the
// switch to WAL writes the first page. On any other file it is a no-op.
// Statement journals stay in memory (temp_store). The file is not memory
// mapped (mmap_size 0): the WebAssembly build maps the whole mmap_size
// however short the file is, so a page read past its end (the file
// shortened by a vacuum in another connection or process) kills the
// process with SIGBUS instead of failing the read; reads were no faster
// with the map (BenchmarkHotGet).
const connPragmas = `
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA temp_store = MEMORY;
PRAGMA mmap_size = 0;`

// writerPragmas run, after connPragmas, on the connection that makes every
// write of this process. A write transaction touches a page of the table
// and of each index per frame, scattered over the file: a cache of 64 MiB
// (the default is 2 MiB) keeps those pages between statements and
// transactions instead of spilling them to the WAL and reading them back.
// The WAL is checkpointed into the database file once it holds 10000 pages
// (about 40 MiB; the default is 1000): each checkpoint then copies a page
// written by many transactions once and syncs the file once for all of
// them. Together they took about a third off the time of deletes in
// batches of 100 (BenchmarkStoreDelete). Compact still truncates the WAL.
const writerPragmas = `
PRAGMA cache_size = -65536;
PRAGMA wal_autocheckpoint = 10000;`

// prepareFiles creates the directory (0700) and the database file and its
// -wal and -shm companions (0600) when they are missing, so that SQLite,
// which creates files with 0666 less the umask, finds them with private
// modes. Existing files and directories keep their modes. It returns what
// it created, deepest last.
func prepareFiles(abs string) (created []string, err error) {
	defer func() {
		if err != nil {
			removeCreated(created)
			created = nil
		}
	}()
	var missing []string
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		_, err := os.Stat(dir)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
			return created, err
		}
		missing = append(missing, dir)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		} else if err == nil {
			created = append(created, missing[i])
			if err := os.Chmod(missing[i], 0o700); err != nil {
				return created, err
			}
		}
	}
	for _, name := range []string{abs, abs + "-wal", abs + "-shm"} {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return created, err
		}
		created = append(created, name)
		if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
			return created, err
		}
	}
	return created, nil
}

// removeCreated removes what prepareFiles created, deepest first. A
// directory that is no longer empty (another process used it) stays.
func removeCreated(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		_ = os.Remove(created[i])
	}
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Durable reports true: a committed frame survives a crash of the process
// (synchronous=NORMAL in WAL mode may lose the last transactions on a power
// failure, never corrupting the file) and is never evicted on its own.
func (s *Store) Durable() bool { return true }

// MaxFrameSize returns [MaxFrameSize], the size in bytes of the largest
// document Put accepts.
func (s *Store) MaxFrameSize() int64 { return MaxFrameSize }

// As sets target to the store's underlying client and reports whether it
// could. The one type it knows is **sqlx.DB: the pool of read connections
// to the file. Writes through it are possible (they wait for the lock like
// another process would), but frames written outside Put are outside every
// promise of the driver.
func (s *Store) As(target any) bool {
	if p, ok := target.(**sqlx.DB); ok && p != nil {
		*p = s.r
		return true
	}
	return false
}

// Ping checks that the file can be read, by reading its schema version on
// a pooled connection. It fails with driver.ErrClosed after Close and
// driver.ErrUnavailable when the file cannot be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	var v int
	return s.fail(ctx, "ping", s.r.GetContext(ctx, &v, `PRAGMA user_version`))
}

// Close closes the connections. Operations still running may fail with
// driver.ErrClosed. A second Close returns an error wrapping
// driver.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return errClosed("close")
	}
	if err := s.closeAll(); err != nil {
		return fmt.Errorf("sqlitedriver: close: %w", err)
	}
	return nil
}

func (s *Store) closeAll() error {
	err := s.stmts.close()
	if s.r != nil {
		err = errors.Join(err, s.r.Close())
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}
