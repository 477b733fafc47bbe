// Package drivertest is the conformance suite every tier driver runs, ours
// and third parties' alike:
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformanceTests(t, drivertest.Harness{
//			NewTier: func(t *testing.T) driver.Tier { ... a new, empty tier ... },
//		})
//	}
//
// The suite checks the contract documented in package driver: byte-exact
// round trips, missing IDs, version-conditional and idempotent writes and
// deletes, checksums, the candidate order of every policy, usage,
// concurrent use, context cancellation, and behaviour after Close. Optional
// interfaces (Batcher, Querier, Pinger) are tested when the tier implements
// them; a tier without them still runs every subtest through the required
// methods.
package drivertest

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// Harness makes tiers for the suite.
type Harness struct {
	// NewTier returns a new, empty tier private to the calling test. It
	// registers its own cleanup with t.Cleanup; that cleanup must tolerate
	// a tier the suite already closed.
	NewTier func(t *testing.T) driver.Tier
}

// RunConformanceTests runs every subtest of the suite against tiers made by
// h. Each subtest gets a tier of its own.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	if h.NewTier == nil {
		t.Fatal("drivertest: Harness.NewTier is nil")
	}
	for _, tc := range []struct {
		name string
		run  func(*testing.T, driver.Tier)
	}{
		{"RoundTripIsByteExact", testRoundTrip},
		{"MissingIsNotAnError", testMissing},
		{"NewerVersionReplaces", testNewerReplaces},
		{"StaleWriteIsIgnored", testStaleIgnored},
		{"SameVersionIsIdempotent", testSameVersionIdempotent},
		{"DeleteIsIdempotent", testDeleteIdempotent},
		{"DeleteKeepsNewerVersion", testDeleteKeepsNewer},
		{"ChecksumIsCarried", testChecksumCarried},
		{"CompressedBytesPassThrough", testCompressedPassThrough},
		{"Batch", testBatch},
		{"CandidatesAGE", testCandidatesAGE},
		{"CandidatesLRU", testCandidatesLRU},
		{"CandidatesLFU", testCandidatesLFU},
		{"CandidatesFilters", testCandidatesFilters},
		{"Usage", testUsage},
		{"Query", testQuery},
		{"QueryPagination", testQueryPagination},
		{"Ping", testPing},
		{"ConcurrentUse", testConcurrent},
		{"CanceledContext", testCanceledContext},
		{"AfterClose", testAfterClose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := h.NewTier(t)
			if tr == nil {
				t.Fatal("drivertest: NewTier returned nil")
			}
			tc.run(t, tr)
		})
	}
}
