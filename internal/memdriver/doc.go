// Package memdriver is the reference in-memory tier: the simplest correct
// implementation of the driver contract. It backs the manager's tests and
// shows third-party driver authors what drivertest expects.
//
// # Connection strings
//
// It is registered for the "mem" scheme. "mem://name" opens the store
// called name, shared by every Open of that name in the process so that a
// test can reopen it; "mem://" opens a private one. Parameters:
//
//   - durable=true|false: whether the tier claims to be durable (default
//     true); false makes it behave, for the manager, like a cache.
//   - maxframesize=N: the largest document in bytes it accepts (default
//     [DefaultMaxFrameSize]).
//
// Any other parameter is refused with driver.ErrBadDSN.
//
// # Search
//
// Query understands the language of driver.Search. Only string values of
// a document are searched; words are compared after folding a final "s"
// (not "ss"), the only inflection it knows, so "tests" matches "test".
// Every match is ranked.
//
// # Limits
//
// Candidates and Query sort every frame, which is fine for a reference and
// for tests, not for production sizes.
package memdriver
