package engine

import (
	"fmt"
	"testing"
)

// A copy brought up is fresh unless its frame was named after the copy
// was read below; in a long-running host whose peers name many frames, the
// names stay bounded and copies brought up afterwards are fresh again.
func TestBroughtUpCopiesAndTheBoundOnNames(t *testing.T) {
	c := newCoherence()
	c.name([]string{"a"})
	since := c.since()
	c.name([]string{"b"})
	c.markBroughtUp("a", since) // named before the read: the read saw the change
	c.markBroughtUp("b", since) // named after the read: the copy may be stale
	if !c.isFresh("a") {
		t.Error("copy of a, named before it was read below, is not fresh")
	}
	if c.isFresh("b") {
		t.Error("copy of b, named after it was read below, is fresh")
	}

	before := c.since()
	for i := range maxNamed + 1 { // a peer writes many frames this host never reads
		c.name([]string{fmt.Sprintf("peer-%d", i)})
	}
	if n := len(c.named); n > maxNamed {
		t.Fatalf("%d names kept, more than %d", n, maxNamed)
	}
	c.markBroughtUp("c", before) // read before names were dropped: unknown
	if c.isFresh("c") {
		t.Error("copy read before names were dropped is fresh")
	}
	after := c.since()
	c.markBroughtUp("d", after)
	if !c.isFresh("d") {
		t.Error("copy brought up after the names were pruned is not fresh: the guard lapsed into never marking")
	}
	c.name([]string{"e"})
	c.markBroughtUp("e", after)
	if c.isFresh("e") {
		t.Error("copy of e, named after it was read below, is fresh after the prune")
	}
}
