package tier

import "time"

// Status is a snapshot of the chain.
type Status struct {
	Tiers []TierStatus `json:"tiers"`
	// PendingChanges counts changes (deletes) waiting for a tier to come
	// back.
	PendingChanges int `json:"pending_changes"`
	// PendingMoves counts moves in progress or interrupted (healed by the
	// next maintenance cycle).
	PendingMoves int `json:"pending_moves"`
	// Stuck explains tiers over their limits whose frames cannot move.
	// It is worked out from the tiers' usage, so every process sees it.
	Stuck []string `json:"stuck,omitempty"`
	// Replication describes early replication to the shared tiers, in
	// this process.
	Replication ReplicationStatus `json:"replication"`
	// Coherence describes how first-tier copies are kept from going stale
	// when other machines write the shared tiers, in this process.
	Coherence CoherenceStatus `json:"coherence"`
}

// ReplicationStatus describes early replication (Config.ReplicationLag).
type ReplicationStatus struct {
	// On is false when there is no tier below, or NoReplication is set.
	On bool `json:"on"`
	// Queued counts frames written and not yet copied to the shared
	// tiers, those of a batch under way included.
	Queued int `json:"queued"`
	// Replicated counts frames copied since the Manager opened; LagP50 and
	// LagP99 are the time from a write to its copy (within 41 %).
	Replicated int64         `json:"replicated"`
	LagP50     time.Duration `json:"lag_p50_ns"`
	LagP99     time.Duration `json:"lag_p99_ns"`
}

// CoherenceStatus describes the invalidation of first-tier copies.
type CoherenceStatus struct {
	// Channel is "live" while a shared tier's change notifications are
	// received, "down" while they cannot be (every first-tier copy is then
	// revalidated before it is served), "none" when no tier of the chain
	// can notify (the chain is assumed to be this machine's alone).
	Channel string `json:"channel"`
	// Invalidations counts frames named by change notifications;
	// Revalidations the first-tier copies compared with the shared tiers;
	// Dropped the copies removed because another machine had updated or
	// deleted the frame.
	Invalidations int64 `json:"invalidations"`
	Revalidations int64 `json:"revalidations"`
	Dropped       int64 `json:"dropped"`
}

// TierStatus describes one tier.
type TierStatus struct {
	Level   int    `json:"level"`
	Name    string `json:"name"`
	Driver  string `json:"driver"`
	Durable bool   `json:"durable"`
	Frames  int64  `json:"frames"`
	Bytes   int64  `json:"bytes"`
	Healthy bool   `json:"healthy"`
	// Breaker is the state of the tier's circuit breaker: "closed"
	// (healthy), "open" (failing fast) or "half-open" (probing).
	Breaker string `json:"breaker"`
	// Error says why the tier is unhealthy; it never contains credentials.
	Error  string `json:"error,omitempty"`
	Limits Limits `json:"limits"`
	// BroughtUp counts copies brought up to the first tier by this
	// process (promotion, pre-fetch, Warm) that it still holds; Protected
	// those still within the promotion window (demoted last).
	BroughtUp int `json:"brought_up"`
	Protected int `json:"protected"`
	// Backlog is how many frames must leave the tier for it to fit its
	// limits (estimated from the mean frame size for the byte limit).
	Backlog int `json:"backlog"`
}

// Stats is what the managers of a state file did, added up over every
// process since the statistics were last reset.
type Stats struct {
	Tiers []TierStats `json:"tiers"`
	// Reads counts Gets that found their frame; Misses those that did not.
	Reads  int64 `json:"reads"`
	Misses int64 `json:"misses"`
	// HotHitRatio is the share of Reads served by tier 1.
	HotHitRatio float64 `json:"hot_hit_ratio"`
	// MovesDown and MovesUp count frames demoted and promoted.
	MovesDown int64 `json:"moves_down"`
	MovesUp   int64 `json:"moves_up"`
	// BackgroundTime is the time spent in background maintenance cycles.
	BackgroundTime time.Duration `json:"background_ns"`
	// CompressedBytes is the size of the documents compressed on their way
	// down; BytesSaved is how much smaller they are once compressed.
	CompressedBytes int64 `json:"compressed_bytes"`
	BytesSaved      int64 `json:"bytes_saved"`
	// Evictions counts frames that left a tier by a local delete, their
	// copies below being in place already (replicated early, or brought
	// up unchanged): the cheap kind of demotion, included in MovesDown.
	Evictions int64 `json:"evictions"`
	// Replicated counts frames copied early to the shared tiers.
	Replicated int64 `json:"replicated"`
	// PromotionsSkipped counts promotions not made: the copies brought up
	// held their whole share, or the first tier was full and nothing in it
	// could leave by a local delete.
	PromotionsSkipped int64 `json:"promotions_skipped"`
}

// TierStats describes the work of one tier.
type TierStats struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	// Reads counts Gets this tier served.
	Reads int64 `json:"reads"`
	// MovedIn and MovedOut count frames moved into and out of the tier.
	MovedIn  int64 `json:"moved_in"`
	MovedOut int64 `json:"moved_out"`
	// Failures counts calls that failed because the tier was unreachable.
	Failures int64 `json:"failures"`
	// BreakerTrips counts how often its circuit breaker opened.
	BreakerTrips int64 `json:"breaker_trips"`
	// Latency has one entry per operation that was called.
	Latency []OpLatency `json:"latency"`
}

// OpLatency are latency percentiles of one operation on one tier, read
// from a histogram with two buckets per doubling (values are bucket upper
// bounds, so within 41 % above the true value).
type OpLatency struct {
	Op    string        `json:"op"`
	Count int64         `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
}

// MaintenanceReport says what a maintenance cycle did.
type MaintenanceReport struct {
	// Demoted counts frames moved down because a tier was over a limit.
	Demoted int `json:"demoted"`
	// Healed counts interrupted moves finished; Abandoned those rolled back
	// (the frame stayed in its source tier).
	Healed    int `json:"healed"`
	Abandoned int `json:"abandoned"`
	// OutboxApplied counts postponed changes delivered to a tier.
	OutboxApplied int `json:"outbox_applied"`
	// Stuck explains tiers over their limits whose frames cannot move.
	Stuck []string `json:"stuck,omitempty"`
}

// MigrateOptions selects frames to move down to a tier.
type MigrateOptions struct {
	// ToLevel is the tier the frames go to: 2 or more.
	ToLevel int
	// Filters; zero fields do not filter.
	ProjectID string
	SessionID string
	// OlderThan keeps frames created more than this long ago.
	OlderThan time.Duration
	// Limit caps the number of frames moved; 0 means no cap.
	Limit int
	// DryRun counts what would move and moves nothing.
	DryRun bool
	// Progress, when set, is called after each batch with the number of
	// frames handled so far and the total planned (0 when unknown).
	Progress func(done, total int)
}

// MigrateReport says what Migrate did (or, for a dry run, would do).
type MigrateReport struct {
	ToLevel int `json:"to_level"`
	// Selected counts frames above ToLevel that match the filters.
	Selected int `json:"selected"`
	// Moved counts frames now held by ToLevel (and, when it is a cache, by
	// the durable tier below it).
	Moved int `json:"moved"`
	// Skipped counts frames left where they were: changed, deleted during
	// the move, or not verifiable in the destination.
	Skipped int            `json:"skipped"`
	DryRun  bool           `json:"dry_run"`
	ByTier  map[string]int `json:"by_tier"` // frames selected per source tier
}

// CompactReport says what Compact did.
type CompactReport struct {
	// Healed and Abandoned count interrupted moves finished or rolled back.
	Healed    int `json:"healed"`
	Abandoned int `json:"abandoned"`
	// OutboxApplied counts postponed deletes delivered.
	OutboxApplied int `json:"outbox_applied"`
	// StaleRemoved counts lower copies older than the frame's copy in the
	// first tier. Copies of the same version are replicas, and stay.
	StaleRemoved int `json:"stale_removed"`
	// Compacted lists the tiers that reclaimed space (VACUUM, retention,
	// index cleanup).
	Compacted []string `json:"compacted"`
}

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Repair fixes what Verify finds: corrupt copies are replaced from a
	// good copy, stale copies removed, and frames held only by a cache
	// written through to the durable tier below it.
	Repair bool
	// Progress, when set, is called after each batch with the number of
	// frames checked so far.
	Progress func(checked int)
}

// VerifyIssue is one problem found by Verify.
type VerifyIssue struct {
	FrameID  string `json:"frame_id"`
	Tier     string `json:"tier"`
	Kind     string `json:"kind"`
	Repaired bool   `json:"repaired"`
	Detail   string `json:"detail,omitempty"`
}

// VerifyReport says what Verify found and did.
type VerifyReport struct {
	// Checked counts distinct frames examined; Copies the copies read.
	Checked int           `json:"checked"`
	Copies  int           `json:"copies"`
	Issues  []VerifyIssue `json:"issues"`
	// Repaired counts the issues fixed (with Repair set).
	Repaired int `json:"repaired"`
	// Unreachable lists tiers that could not be audited.
	Unreachable []string `json:"unreachable,omitempty"`
}

// WarmOptions selects frames to bring up to the first tier.
type WarmOptions struct {
	SessionID string
	ProjectID string
	// Limit caps the frames brought up; 0 means 1000.
	Limit int
}

// WarmReport says what Warm did.
type WarmReport struct {
	// Promoted counts frames copied up to the first tier.
	Promoted int `json:"promoted"`
	// AlreadyHot counts matching frames the first tier already held.
	AlreadyHot int `json:"already_hot"`
}
