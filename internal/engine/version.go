package engine

import (
	"sync"
	"time"
)

// versionClock hands out frame versions: the current time in microseconds,
// bumped past the last version it gave, so versions grow within a process
// and follow the wall clock across processes. The write path also bumps
// past the version the first tier holds, so a process with a clock behind
// never writes a version that loses to an older write.
type versionClock struct {
	mu   sync.Mutex
	last uint64
}

func (c *versionClock) next(now time.Time, atLeast uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := max(uint64(now.UnixMicro()), c.last+1, atLeast)
	c.last = v
	return v
}

// observe moves the clock past a version seen in a tier, so that the next
// version this process hands out is greater: versions stay monotonic
// across machines whose clocks differ.
func (c *versionClock) observe(v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, v)
}
