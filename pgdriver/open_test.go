package pgdriver

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// TestOpenRefusesWhatDoesNotExist checks that a URL naming a database, a
// user or a schema the server does not have is a bad connection string
// (the user must fix the URL), not an unavailable server; that the
// server's own error stays reachable with errors.As; and that Driver.Open
// then returns a nil interface.
func TestOpenRefusesWhatDoesNotExist(t *testing.T) {
	server := testenv.PostgresServerURL(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	missingDB := *u
	missingDB.Path = "/" + testenv.Unique("no_such_db_")
	missingUser := *u
	missingUser.User = url.UserPassword(testenv.Unique("no_such_role_"), "pw-s3cret")
	app := testenv.Unique("pgopen_")
	dbURL := testenv.PostgresURL(t)
	missingSchema := withParams(dbURL, "search_path="+testenv.Unique("no_such_schema_"), "application_name="+app)
	for name, dsn := range map[string]string{
		"database": missingDB.String(),
		"user":     missingUser.String(),
		"schema":   missingSchema,
	} {
		tr, err := Driver{}.Open(context.Background(), dsn)
		if !errors.Is(err, driver.ErrBadDSN) || errors.Is(err, driver.ErrUnavailable) {
			t.Errorf("missing %s: %v, want ErrBadDSN", name, err)
		}
		if tr != nil {
			t.Errorf("missing %s: Open returned a non-nil Tier %#v with its error", name, tr)
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Errorf("missing %s: errors.As does not reach the server's *pgconn.PgError in %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("missing %s: error reveals the password: %v", name, err)
		}
	}
	// The failed Open (it connected, then found no schema to migrate in)
	// left no connection behind. A closed connection's server process
	// exits a moment after the client hung up, so look until it is gone.
	conn := sqlConn(t, dbURL)
	var left int
	for range 100 {
		if err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if left != 0 {
		t.Errorf("after a failed Open: %d connections left open, want none", left)
	}
}

// TestOpenRefusesBadOptions checks Options out of range: ErrBadDSN, and a
// nil Store.
func TestOpenRefusesBadOptions(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(testenv.PostgresServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Options{
		"no pool":               {},
		"compression 12":        {Pool: cfg, Compression: 12},
		"negative timeout":      {Pool: cfg, Timeout: -1},
		"negative batch":        {Pool: cfg, BatchTimeout: -1},
		"negative search":       {Pool: cfg, SearchWindow: -1},
		"negative compress min": {Pool: cfg, CompressMin: -1},
	} {
		s, err := Open(context.Background(), o)
		if !errors.Is(err, driver.ErrBadDSN) || s != nil {
			t.Errorf("%s: Open = %v, %v; want nil and ErrBadDSN", name, s, err)
		}
	}
}

// TestAs checks that a host reaches the pool through As, and only it.
func TestAs(t *testing.T) {
	s := newStore(t)
	var pool *pgxpool.Pool
	if !s.As(&pool) || pool == nil {
		t.Fatal("As(**pgxpool.Pool) did not give the pool")
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM frames_archive`).Scan(&n); err != nil || n != 0 {
		t.Errorf("query through the pool: %d, %v", n, err)
	}
	var other *pgconn.PgConn
	if s.As(&other) || s.As(pool) {
		t.Error("As accepted a target type it does not document")
	}
}
