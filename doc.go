// Package tier keeps StackMemory frames (the JSON records an AI coding
// agent writes about its work) in a chain of storage tiers, and moves each
// frame to the right tier by age, size and access pattern. The host never
// needs to know where a frame lives, and no frame is ever lost, even when a
// tier fails in the middle of a move.
//
// # Tiers
//
// The default chain is the StackMemory storage spec's:
//
//   - tier 1, hot: an embedded SQLite file (~/.stackmemory/frames.db), always
//     available, no network. It is the complete default configuration.
//   - tier 2, warm: Redis, shared between machines. Opt in with
//     import _ "github.com/stackmemoryai/tier/redisdriver" and a redis:// URL.
//   - tier 3, cold: PostgreSQL, the archive with full-text search. Opt in
//     with import _ "github.com/stackmemoryai/tier/pgdriver" and a
//     postgres:// URL.
//
// Any chain of drivers in any order works ([Config.Chain], [New]); a driver
// is anything that implements [github.com/stackmemoryai/tier/driver.Tier]
// and passes its conformance suite, drivertest.
//
// # Using a Manager
//
// [Open] returns a [Manager]: [Manager.Put] writes to tier 1 and returns
// (local-first), [Manager.Get] finds the newest copy wherever it is,
// [Manager.Query] lists and searches every tier as one, [Manager.Delete]
// removes every copy. [Manager.Status] and [Manager.Stats] report on the
// chain. A Manager is safe for concurrent use, and several processes may
// share one SQLite file.
//
// # Movement
//
// A background loop (Config.BackgroundSync, every Config.SyncInterval)
// demotes frames from tiers over their limits in the order of the eviction
// policy ([LRU], [LFU] with decay, [AGE]), heals interrupted moves, and
// delivers postponed deletes; [Manager.Maintain] runs the same cycle on
// demand. [Manager.Migrate] forces frames down, [Manager.Compact] cleans
// up, [Manager.Warm] brings a session back up, and frames read often from
// a lower tier are promoted back to tier 1.
//
// # Guarantees
//
// A frame leaves a tier only after a tier below holds a verified copy
// (copy, verify, record, delete, each step journaled and idempotent). A
// cache (a tier that is not durable, like Redis with a TTL) never holds the
// only copy: frames demoted into it are written through to the durable tier
// below. Every write bumps the frame's version and no tier lets an older
// version replace a newer one. Checksums travel with every copy; a corrupt
// copy is never returned. When a tier that may hold a frame is down, Get
// says so with [ErrUnavailable] rather than [ErrNotFound].
//
// # Errors
//
// Errors wrap the sentinel errors of this package ([ErrNotFound],
// [ErrUnavailable], [ErrInvalidFrame], [ErrCorrupt], [ErrClosed],
// [ErrBadConfig], [ErrBusy]); test with errors.Is. Messages name the tier
// and the frame, and never contain a password.
package tier
