// Package sqliteconn opens pools of connections to a SQLite file the way
// every SQLite tier of this module needs them: a file URI whose write
// transactions begin as asked, journal files that take the mode of the
// database file, room in each connection's WebAssembly heap for the
// largest document, and a setup function run on every new connection.
package sqliteconn

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
)

// MaxMemory is the memory each connection's SQLite (a WebAssembly build)
// may grow to. Writing a document holds several copies of it at once (the
// bound value, the row, the text casts and parse of the JSON functions,
// the concatenated string values, the tokenizer's buffer, which doubles
// for one huge word), and big allocations fragment a heap that never
// shrinks: the library's default of 256 MiB ran out after a few documents
// of 8 to 16 MiB ("sqlite3: out of memory", raised as a panic by the
// library). Memory is taken only as it is used; 1 GiB holds documents of
// 16 MiB of any kind, one after another and several in one transaction
// (sqlitedriver's TestBigDocumentsOneAfterAnother).
const MaxMemory = 1 << 30

// TxLock is how a transaction of a pool begins.
type TxLock string

const (
	// Immediate takes the write lock at BEGIN: for the connection that
	// writes, so a write transaction never fails to upgrade a read lock
	// under contention.
	Immediate TxLock = "immediate"
	// Deferred takes locks as statements need them: for pools that read.
	Deferred TxLock = "deferred"
)

// Open returns a pool of connections to the SQLite file at the absolute
// path abs, each with init run on it once. Connections are made as the
// pool needs them; Open itself touches no file.
func Open(abs string, lock TxLock, init func(*sqlite3.Conn) error) (*sqlx.DB, error) {
	inner, err := (&sqlite3driver.SQLite{}).OpenConnector(dataSourceName(abs, lock))
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(connector{inner: inner, init: init}), "sqlite3"), nil
}

// dataSourceName is the SQLite URI of the file: transactions begin as
// lock says, and journal and WAL files take the mode of the database file.
// SQLite decodes %XX escapes in a URI but not '+', so a space in the path
// is written %20 in the query as it is in the path.
func dataSourceName(abs string, lock TxLock) string {
	q := url.Values{}
	q.Set("_txlock", string(lock))
	q.Set("modeof", abs)
	u := url.URL{Scheme: "file", Path: abs, RawQuery: strings.ReplaceAll(q.Encode(), "+", "%20")}
	return u.String()
}

// connector gives every connection MaxMemory, then runs init on it.
type connector struct {
	inner sqldriver.Connector
	init  func(*sqlite3.Conn) error
}

func (c connector) Driver() sqldriver.Driver { return c.inner.Driver() }

func (c connector) Connect(ctx context.Context) (sqldriver.Conn, error) {
	conn, err := c.inner.Connect(sqlite3.WithMaxMemory(ctx, MaxMemory))
	if err != nil {
		return nil, err
	}
	raw, ok := conn.(interface{ Raw() *sqlite3.Conn })
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqliteconn: the SQLite driver gave no raw connection")
	}
	if err := c.init(raw.Raw()); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
