package sqlitedriver

// Internals exposed to the tests of package sqlitedriver_test.
var (
	CandidatesSQL   = candidatesSQL
	QuerySQL        = querySQL
	MatchExpression = matchExpression
)
