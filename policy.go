package tier

import (
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Policy is the order in which a full tier gives up frames to the next one.
type Policy = driver.Policy

// The eviction policies of the StackMemory spec.
const (
	// LRU moves the least recently read frames first.
	LRU = driver.LRU
	// LFU moves the least often read frames first; reads lose half their
	// weight every driver.DecayHalfLife, so old popularity fades.
	LFU = driver.LFU
	// AGE moves the oldest frames (by creation) first.
	AGE = driver.AGE
)

// ParsePolicy accepts a policy name in any case.
func ParsePolicy(s string) (Policy, error) {
	p := Policy(strings.ToUpper(strings.TrimSpace(s)))
	if !validPolicy(p) {
		return "", &FieldError{Field: "evictionStrategy", Reason: "\"" + s + "\" is not one of LRU, LFU, AGE"}
	}
	return p, nil
}

func validPolicy(p Policy) bool { return p == LRU || p == LFU || p == AGE }
