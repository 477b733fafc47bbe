// Package drivertest is the conformance suite every tier driver runs, ours
// and third parties' alike:
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformanceTests(t, drivertest.Harness{
//			NewTier: func(t *testing.T) driver.Tier { ... a new, empty tier ... },
//			Corrupt: func(t *testing.T, tr driver.Tier, id string) { ... damage the stored copy ... },
//			Open:    mydriver.Driver{}.Open,
//			BadDSNs: []string{"my://host?unknown=1", "my://host?timeout=soon"},
//		})
//	}
//
// The suite checks the contract documented in package driver: byte-exact
// round trips, missing IDs, version-conditional and idempotent writes and
// deletes, checksums, records refused as invalid, the candidate order of
// every policy, usage, Limit 0, concurrent use, contexts already canceled
// or past their deadline, damaged copies (alone and inside batches),
// frames a cache evicted, bad connection strings, and behaviour after
// Close. Optional interfaces (Batcher, BatchDeleter, MetaGetter, Querier,
// Pinger, Compactor, SizeLimiter) are tested when the tier implements
// them; a tier without them still runs every subtest through the required
// methods.
//
// For a Querier, the subtest SearchLanguage runs one fixed corpus and a
// table of query texts in the language of [driver.Search], each with the
// exact set of frames it must match, so that the same text matches the
// same frames in every driver.
//
// Subtests that need a hook the harness does not give fail, naming the
// hook: Corrupt, Open and BadDSNs are required.
package drivertest

import (
	"context"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// Harness makes tiers for the suite.
type Harness struct {
	// NewTier returns a new, empty tier private to the calling test. It
	// registers its own cleanup with t.Cleanup; that cleanup must tolerate
	// a tier the suite already closed.
	NewTier func(t *testing.T) driver.Tier

	// Document returns a valid frame document that carries text in a
	// string value, where full-text search finds it, and n as a JSON
	// number (never inside a string). Every document the suite writes is
	// made by it, so a driver that stores only documents of one shape can
	// run the suite. Its other string values must be the same for every
	// call and must not hold the words the SearchLanguage subtest queries
	// (it names any it meets). Nil means the suite's own documents, which also include JSON
	// of other shapes (arrays, bare strings) in the round-trip test.
	Document func(text string, n int) []byte

	// Corrupt damages the stored copy of the frame id in tr so that the
	// next read of it detects the damage (bytes that fail the checksum).
	// Required: the suite checks that damage is reported and never
	// returned, alone and inside batches.
	Corrupt func(t *testing.T, tr driver.Tier, id string)

	// Evict, for tiers that forget on their own (a cache with TTL or LRU
	// eviction), removes part of what the tier keeps of the frame id, the
	// way its store's eviction can (one of several keys). The suite checks
	// that such a frame is missing, never corrupt. Nil for stores that
	// never forget.
	Evict func(t *testing.T, tr driver.Tier, id string)

	// Open opens a tier from a connection string: the driver's
	// [driver.Driver] Open method itself, so that the interface it returns
	// is the one the suite checks. With BadDSNs (at least one), the suite
	// checks that each of them is refused with an error wrapping
	// driver.ErrBadDSN and a nil Tier (not an interface holding a nil
	// pointer). Required.
	Open    func(ctx context.Context, dsn string) (driver.Tier, error)
	BadDSNs []string

	// BigFrames makes the suite round-trip documents of exactly the size
	// the tier accepts (its SizeLimiter's MaxFrameSize), high-entropy and
	// repetitive, and check that one byte more is refused with
	// driver.ErrInvalidRecord. The tier must implement driver.SizeLimiter.
	// It is slow; drivers enable it in their own test runs.
	BigFrames bool
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
		run  func(*testing.T, *Harness, driver.Tier)
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
		{"QueryByParentReturnsChildrenOnly", testQueryParent},
		{"SearchLanguage", testSearchLanguage},
		{"LimitZeroReturnsNothing", testLimitZero},
		{"CanceledContextGivesCanceled", testDoneContext(canceledContext, context.Canceled)},
		{"ExpiredDeadlineGivesDeadlineExceeded", testDoneContext(expiredContext, context.DeadlineExceeded)},
		{"CorruptCopyIsReportedNeverReturned", testCorrupt},
		{"EvictedFrameIsMissingNotCorrupt", testEvicted},
		{"BadDSNIsRefusedWithNilTier", testBadDSNs},
		{"InvalidRecordIsRefused", testInvalidRecord},
		{"DocumentsAtTheSizeLimit", testFrameSizeLimit},
		{"GetMetasReportsWhatPutStored", testGetMetas},
		{"DeleteManyRespectsUpTo", testDeleteMany},
		{"BuryKeepsOlderWritesOut", testBury},
		{"AfterCloseGivesErrClosed", testAfterClose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := h.NewTier(t)
			if tr == nil {
				t.Fatal("drivertest: NewTier returned nil")
			}
			tc.run(t, &h, tr)
		})
	}
}
