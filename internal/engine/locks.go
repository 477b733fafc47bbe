package engine

import (
	"hash/maphash"
	"sync"
)

// frameLocks serialises the steps that change where a frame lives (moves,
// promotions, deletes) for one frame at a time within a process. Striped:
// two frames may share a lock, which only costs a little waiting.
type frameLocks struct {
	seed    maphash.Seed
	once    sync.Once
	stripes [256]sync.Mutex
}

func (l *frameLocks) lock(id string) func() {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	mu := &l.stripes[maphash.String(l.seed, id)%uint64(len(l.stripes))]
	mu.Lock()
	return mu.Unlock
}
