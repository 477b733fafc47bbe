// Package drivertest is the conformance suite every tier driver runs.
package drivertest

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// Harness makes tiers for the suite.
type Harness struct {
	// NewTier returns a new, empty tier private to the calling test. It
	// registers its own cleanup with t.Cleanup; cleanup must tolerate a
	// tier the suite already closed.
	NewTier func(t *testing.T) driver.Tier
}

// RunConformanceTests runs the suite against the harness's tiers.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	_ = h
}
