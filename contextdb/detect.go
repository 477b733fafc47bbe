package contextdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// IsContextDB reports whether the file at path is an upstream StackMemory
// context.db (adopted or not): a SQLite database with upstream's frames,
// events and anchors tables. It opens the file read-only and neither
// creates nor changes it. A file that is not SQLite, or SQLite without
// those tables, gives false and a nil error; a missing or unreadable file
// gives the error (a missing file wraps fs.ErrNotExist).
func IsContextDB(path string) (bool, error) {
	err := probe(context.Background(), path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotContextDB):
		return false, nil
	}
	return false, fmt.Errorf("contextdb: %s: %w", path, err)
}

// probe returns nil when path is an upstream context.db, an error wrapping
// ErrNotContextDB saying why not, or the error that kept it from reading
// the file.
func probe(ctx context.Context, path string) error {
	if err := fileExists(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	head := make([]byte, len(sqliteMagic))
	_, err = io.ReadFull(f, head)
	_ = f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("%w: %s is not a SQLite database", ErrNotContextDB, path)
	}
	db, err := openReadOnly(path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = readLayout(ctx, db)
	return err
}

// openReadOnly opens path for reading only: nothing is written to the
// database through it. On a WAL file SQLite still creates the -wal and
// -shm files a reader needs when they are missing; with untouched set and
// no -wal file (no process is writing, everything is in the database
// file), the file is opened immutable instead, and nothing at all is
// created. Long reads use untouched = false: a writer starting meanwhile
// must not tear them.
func openReadOnly(path string, untouched bool) (*sqlx.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if _, err := os.Stat(path + "-wal"); untouched && errors.Is(err, fs.ErrNotExist) {
		q.Set("immutable", "1")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	db, err := sqlite3driver.Open(u.String(), func(c *sqlite3.Conn) error {
		return c.BusyTimeout(DefaultBusyTimeout)
	})
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(db, "sqlite3"), nil
}
