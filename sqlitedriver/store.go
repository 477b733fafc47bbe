package sqlitedriver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	"github.com/stackmemoryai/tier/driver"
)

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
	w      *sqlx.DB // exactly one connection: every write
	r      *sqlx.DB // the read pool
	stmts  statements
	closed atomic.Bool
}

var (
	_ driver.Tier         = (*Store)(nil)
	_ driver.Querier      = (*Store)(nil)
	_ driver.Batcher      = (*Store)(nil)
	_ driver.BatchDeleter = (*Store)(nil)
	_ driver.Pinger       = (*Store)(nil)
	_ driver.Compactor    = (*Store)(nil)
)

// Open opens, and creates when missing, the database file at path, then
// brings its schema to SchemaVersion. A nil opts means the defaults.
//
// A missing directory is created with mode 0700; a new file, and its -wal
// and -shm companions, with mode 0600, whatever the umask. Several
// processes may open the same file at once.
//
// Open fails with an error wrapping ErrSchemaTooNew when the file was
// written by a newer release, ErrInvalidInput for bad options, and
// driver.ErrUnavailable when the file cannot be opened or stays locked
// beyond the busy timeout.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrInvalidInput)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitedriver: open %s: %w", path, err)
	}
	if err := prepareFiles(abs); err != nil {
		return nil, fmt.Errorf("sqlitedriver: open %s: %w: %w", abs, driver.ErrUnavailable, err)
	}
	s := &Store{path: abs}
	if err := s.open(ctx, o); err != nil {
		s.closeAll()
		var code sqlite3.ErrorCode
		if errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &code) {
			return nil, fmt.Errorf("sqlitedriver: open %s: %w", abs, err)
		}
		return nil, s.wrap(ctx, "open "+abs, "", err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, o Options) error {
	dsn := dataSourceName(s.path)
	init := connInit(o.BusyTimeout)
	w, err := sqlite3driver.Open(dsn, init)
	if err != nil {
		return err
	}
	s.w = sqlx.NewDb(w, "sqlite3")
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	r, err := sqlite3driver.Open(dsn, init)
	if err != nil {
		return err
	}
	s.r = sqlx.NewDb(r, "sqlite3")
	s.r.SetMaxOpenConns(o.MaxConns)
	s.r.SetMaxIdleConns(o.MaxConns)
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	return s.stmts.prepare(ctx, s.r, s.w)
}

// dataSourceName is the SQLite URI of the file: write transactions begin
// IMMEDIATE (so they never fail to upgrade a read lock under contention),
// and journal and WAL files take the mode of the database file.
func dataSourceName(abs string) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("modeof", abs)
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// connInit prepares every new connection: busy timeout first (later
// pragmas may need a lock), WAL, FTS5 and the LFU function.
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
		return c.Exec(connPragmas)
	}
}

// connPragmas run on every new connection. auto_vacuum comes before
// journal_mode: it only takes effect on a file with no pages yet, and the
// switch to WAL writes the first page. On any other file it is a no-op.
// Statement journals stay in memory (temp_store), and reads go through a
// memory map of up to 256 MiB.
const connPragmas = `
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA temp_store = MEMORY;
PRAGMA mmap_size = 268435456;`

// prepareFiles creates the directory (0700) and the database file and its
// -wal and -shm companions (0600) when they are missing, so that SQLite,
// which creates files with 0666 less the umask, finds them with private
// modes. Existing files and directories keep their modes.
func prepareFiles(abs string) error {
	dir := filepath.Dir(abs)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for _, name := range []string{abs, abs + "-wal", abs + "-shm"} {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = errors.Join(f.Chmod(0o600), f.Close())
		if err != nil {
			return err
		}
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Durable reports true: a committed frame survives a crash of the process
// (synchronous=NORMAL in WAL mode may lose the last transactions on a power
// failure, never corrupting the file) and is never evicted on its own.
func (s *Store) Durable() bool { return true }

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
