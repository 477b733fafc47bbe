package sqlitedriver

import "github.com/stackmemoryai/tier"

// The driver registers itself: a host opts in with a blank import, as for
// every tier (package config does it for StackMemory's default chain).
func init() { tier.Register(Scheme, Driver{}) }
