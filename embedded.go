package tier

import "github.com/stackmemoryai/tier/sqlitedriver"

// SQLite is the embedded default tier, so it is always registered: a host
// needs no import to run on it. Redis and PostgreSQL are opt-in.
func init() { Register(sqlitedriver.Scheme, sqlitedriver.Driver{}) }
