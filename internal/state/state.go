// Package state keeps the manager's own bookkeeping in a small SQLite
// file beside the hot tier: the journal of moves in progress, the outbox of
// deletes a tier has not received, the lease that lets one process at a
// time run background movement, and persisted statistics.
//
// Every Manager process on the same machine and frames.db opens the same
// state file, so a crash in one is healed by the next, and a short-lived
// CLI process can report what earlier ones did.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/stackmemoryai/tier/internal/sqliteconn"
)

// Memory is the path that keeps state in memory only, for chains without
// a local file (tests, embedded hosts that opt out).
const Memory = ":memory:"

// connInit prepares every connection to the state file.
func connInit(c *sqlite3.Conn) error {
	if err := c.BusyTimeout(5 * time.Second); err != nil {
		return err
	}
	return c.Exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;`)
}

// Store is the state database. It is safe for concurrent use.
type Store struct {
	db          *sqlx.DB
	retiredUpTo *sqlx.Stmt // the one query on the read path
}

const schema = `
CREATE TABLE IF NOT EXISTS tier_journal (
	frame_id   TEXT    NOT NULL,
	from_level INTEGER NOT NULL,
	to_level   INTEGER NOT NULL,
	also_level INTEGER NOT NULL DEFAULT 0, -- write-through target, 0 if none
	version    INTEGER NOT NULL,
	checksum   INTEGER NOT NULL,
	step       TEXT    NOT NULL,            -- copying, copied
	started_at INTEGER NOT NULL,
	PRIMARY KEY (frame_id, from_level)
);
CREATE TABLE IF NOT EXISTS tier_outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	level      INTEGER NOT NULL,
	op         TEXT    NOT NULL,            -- delete, drop-stale
	frame_id   TEXT    NOT NULL,
	version    INTEGER NOT NULL,            -- delete copies up to this version
	created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tier_outbox_frame ON tier_outbox (frame_id);
CREATE TABLE IF NOT EXISTS tier_tombstones (
	frame_id   TEXT PRIMARY KEY,
	up_to      INTEGER NOT NULL,            -- copies up to this version are deleted
	created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tier_lease (
	name       TEXT PRIMARY KEY,
	owner      TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tier_shared (
	frame_id TEXT PRIMARY KEY,
	version  INTEGER NOT NULL                -- the shared tiers held this version
);
CREATE TABLE IF NOT EXISTS tier_stats (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// Open opens (creating if needed) the state file at path, or an in-memory
// store for Memory. The file gets mode 0600 in a 0700 directory, and so do
// its -wal and -shm companions.
func Open(ctx context.Context, path string) (*Store, error) {
	var db *sqlx.DB
	if path == Memory {
		sqldb, err := driver.Open(Memory)
		if err != nil {
			return nil, fmt.Errorf("state: open %s: %w", path, err)
		}
		db = sqlx.NewDb(sqldb, "sqlite3")
		db.SetMaxOpenConns(1) // one connection keeps the memory database alive
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		_ = f.Close()
		if db, err = sqliteconn.Open(abs, sqliteconn.Immediate, connInit); err != nil {
			return nil, fmt.Errorf("state: open %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("state: create schema in %s: %w", path, err)
	}
	stmt, err := db.PreparexContext(ctx, `SELECT max(
		(SELECT coalesce(max(version), 0) FROM tier_outbox WHERE frame_id = ?1),
		(SELECT coalesce(max(up_to), 0) FROM tier_tombstones WHERE frame_id = ?1))`)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("state: prepare: %w", err)
	}
	return &Store{db: db, retiredUpTo: stmt}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	_ = s.retiredUpTo.Close()
	return s.db.Close()
}

// Move is one journaled move of a frame between tiers.
type Move struct {
	FrameID   string    `db:"frame_id"`
	From      int       `db:"from_level"`
	To        int       `db:"to_level"`
	Also      int       `db:"also_level"` // durable write-through target, 0 if none
	Version   uint64    `db:"version"`
	Checksum  uint32    `db:"checksum"`
	Step      string    `db:"step"`
	StartedAt time.Time `db:"-"`
	Started   int64     `db:"started_at"`
}

// Journal steps.
const (
	StepCopying = "copying" // copies may be partial; the source is intact
	StepCopied  = "copied"  // the destination holds a verified copy
)

// BeginMoves records moves before any copy is written.
func (s *Store) BeginMoves(ctx context.Context, moves []Move) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	for _, m := range moves {
		_, err := tx.ExecContext(ctx, `INSERT INTO tier_journal
			(frame_id, from_level, to_level, also_level, version, checksum, step, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (frame_id, from_level) DO UPDATE SET to_level = excluded.to_level,
			also_level = excluded.also_level, version = excluded.version,
			checksum = excluded.checksum, step = excluded.step, started_at = excluded.started_at`,
			m.FrameID, m.From, m.To, m.Also, int64(m.Version), int64(m.Checksum), StepCopying, now)
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// MarkCopied records that the destinations hold verified copies.
func (s *Store) MarkCopied(ctx context.Context, from int, ids []string) error {
	return s.eachID(ctx, `UPDATE tier_journal SET step = 'copied' WHERE frame_id = ? AND from_level = ?`, from, ids)
}

// EndMoves removes finished or abandoned moves from the journal.
func (s *Store) EndMoves(ctx context.Context, from int, ids []string) error {
	return s.eachID(ctx, `DELETE FROM tier_journal WHERE frame_id = ? AND from_level = ?`, from, ids)
}

func (s *Store) eachID(ctx context.Context, query string, level int, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, query, id, level); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// PendingMoves returns journaled moves started before the given time (so
// a move another process is running right now is left alone), oldest first.
func (s *Store) PendingMoves(ctx context.Context, startedBefore time.Time, limit int) ([]Move, error) {
	var moves []Move
	err := s.db.SelectContext(ctx, &moves, `SELECT frame_id, from_level, to_level, also_level,
		version, checksum, step, started_at FROM tier_journal
		WHERE started_at < ? ORDER BY started_at LIMIT ?`, startedBefore.UnixMicro(), limit)
	for i := range moves {
		moves[i].StartedAt = time.UnixMicro(moves[i].Started)
	}
	return moves, err
}

// CountMoves returns the number of moves in the journal.
func (s *Store) CountMoves(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tier_journal`)
	return n, err
}

// ErrLeaseHeld means another live process holds the lease.
var ErrLeaseHeld = errors.New("state: lease held by another process")

// AcquireLease takes or renews the named lease for owner until now+ttl.
// It fails with ErrLeaseHeld while another owner's lease has not expired.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) error {
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO tier_lease (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE tier_lease.owner = excluded.owner OR tier_lease.expires_at < ?`,
		name, owner, now.Add(ttl).UnixMicro(), now.UnixMicro())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseHeld
	}
	return nil
}

// ReleaseLease gives up the lease if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tier_lease WHERE name = ? AND owner = ?`, name, owner)
	return err
}

// LeaseOwner returns the current owner of the named lease, "" if none.
func (s *Store) LeaseOwner(ctx context.Context, name string) (string, error) {
	var owner string
	err := s.db.GetContext(ctx, &owner, `SELECT owner FROM tier_lease WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// TakeOverLease gives the named lease to owner if it is still held by
// from (whose process is known to be dead). It fails with ErrLeaseHeld
// when someone else took it meanwhile.
func (s *Store) TakeOverLease(ctx context.Context, name, from, owner string, ttl time.Duration) error {
	res, err := s.db.ExecContext(ctx, `UPDATE tier_lease SET owner = ?, expires_at = ? WHERE name = ? AND owner = ?`,
		owner, time.Now().Add(ttl).UnixMicro(), name, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseHeld
	}
	return nil
}
