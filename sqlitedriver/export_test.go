package sqlitedriver

// Internals exposed to the tests of package sqlitedriver_test.
var (
	CandidatesSQL   = candidatesSQL
	QuerySQL        = querySQL
	MatchExpression = matchExpression
)

// Migrations exposes the schema steps, to build files of older versions.
var Migrations = migrations[:]
