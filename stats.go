package tier

import (
	"sync/atomic"
)

// statsRecorder counts what the manager did, per tier. Counters only; the
// snapshot is taken by Manager.Stats.
type statsRecorder struct {
	tiers []tierCounters
}

type tierCounters struct {
	reads     atomic.Int64 // Gets served by the tier
	movedIn   atomic.Int64 // frames moved into the tier
	movedOut  atomic.Int64 // frames moved out of the tier
	failures  atomic.Int64
}

func newStatsRecorder(levels int) *statsRecorder {
	return &statsRecorder{tiers: make([]tierCounters, levels)}
}

func (s *statsRecorder) read(level int) { s.tiers[level-1].reads.Add(1) }

func (s *statsRecorder) moved(from, to int, n int64) {
	s.tiers[from-1].movedOut.Add(n)
	s.tiers[to-1].movedIn.Add(n)
}

func (s *statsRecorder) failed(level int) { s.tiers[level-1].failures.Add(1) }
