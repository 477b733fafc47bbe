package sqlitedriver

import "github.com/jmoiron/sqlx"

// Internals exposed to the tests of package sqlitedriver_test.
var (
	CandidatesSQL   = candidatesSQL
	QuerySQL        = querySQL
	MatchExpression = matchExpression
)

// Migrations exposes the schema steps, to build files of older versions.
var Migrations = migrations[:]

// Writer returns the store's one write connection.
func Writer(s *Store) *sqlx.DB { return s.w }
