// Package tier keeps StackMemory frames (the JSON records an AI coding
// agent writes about its work) in a chain of storage tiers, and moves each
// frame to the right tier by age, size and access pattern. The host never
// needs to know where a frame lives, and no frame is ever lost, even when a
// tier fails in the middle of a move.
//
// This package is the portable API, as database/sql is: [Manager],
// [Frame], [Query], [Policy], the reports and the errors. It knows no
// storage; drivers register themselves and a host opts into each one by
// importing it:
//
//	import (
//		"github.com/stackmemoryai/tier"
//		_ "github.com/stackmemoryai/tier/sqlitedriver" // sqlite://
//		_ "github.com/stackmemoryai/tier/redisdriver"  // redis://, rediss://
//		_ "github.com/stackmemoryai/tier/pgdriver"     // postgres://, postgresql://
//	)
//
//	m, err := tier.Open(ctx, tier.Config{Tiers: []tier.TierSpec{
//		{URL: "sqlite:///home/me/.stackmemory/frames.db", Limits: tier.Limits{MaxFrames: 1000}},
//		{URL: "redis://127.0.0.1:6379/0"},
//		{URL: "postgres://me@db/stackmemory"},
//	}})
//
// Package [github.com/stackmemoryai/tier/config] builds the StackMemory
// chain from ~/.stackmemory/config.json and the environment, and imports
// the three standard drivers for the host.
//
// # Tiers
//
// The StackMemory chain is SQLite (hot: local, no network; a complete
// configuration on its own), Redis (warm: shared between machines, a cache
// with a TTL) and PostgreSQL (cold: the archive, with full-text search).
// Any chain of drivers in any order works ([Config.Tiers], [New]); a driver
// implements [github.com/stackmemoryai/tier/driver.Tier] and passes the
// conformance suite drivertest.
//
// # Using a Manager
//
// [Manager.Put] writes to tier 1 and returns (local-first); [Manager.Get]
// finds the newest copy wherever it is; [Manager.Query] and [Manager.All]
// list and search every tier as one; [Manager.Children] and
// [Manager.Ancestors] walk the frame tree; [Manager.Delete] removes every
// copy. [Manager.Status] and [Manager.Stats] report on the chain. A Manager
// is safe for concurrent use, and several processes may share one SQLite
// file and state file.
//
// # Movement
//
// Every write is copied in the background to the shared tiers below
// within [Config.ReplicationLag], so another machine can read it and
// demoting it later is a local delete. A background loop demotes frames
// from tiers over their limits in the order of the eviction policy ([LRU],
// [LFU] with decay, [AGE]), heals interrupted moves and delivers postponed
// deletes; limits always win. Frames read often from a lower tier are
// promoted back to tier 1, and a read from a lower tier pre-fetches its
// parents and the session frames written just before it; what comes up
// holds at most [Config.BroughtUpShare] of tier 1. [Manager.Maintain],
// [Manager.Migrate], [Manager.Compact], [Manager.Warm] and [Manager.Verify]
// do the same work on demand.
//
// # Guarantees
//
// A frame leaves a tier only after a tier below holds a verified copy. A
// cache (a tier that is not durable, like Redis with a TTL) never holds the
// only copy. Every write bumps the frame's version, and no tier lets an
// older version replace a newer one; a first-tier copy that another
// machine has superseded or deleted in the shared tiers is not served once
// the change is known (change notifications, and revalidation of copies
// no live notification covers). Checksums travel with every copy; a
// corrupt copy is never returned. When a tier that may hold a frame is
// down, Get says so with [ErrUnavailable] rather than [ErrNotFound], and a
// Query that could not ask a tier says which ([Page.Unsearched]).
//
// # Errors
//
// Errors wrap the sentinel errors of this package ([ErrNotFound],
// [ErrUnavailable], [ErrInvalidFrame], [ErrCorrupt], [ErrClosed],
// [ErrBadConfig], [ErrBusy], [ErrBadCursor], [ErrUnknownDriver]); test with
// errors.Is. Messages name the tier and the frame, and never contain a
// password.
package tier
