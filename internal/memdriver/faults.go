package memdriver

import (
	"slices"
)

// SetFailure makes every later call on any handle of the store fail with
// err (wrapped in driver.ErrUnavailable) until it is called with nil.
func (t *Tier) SetFailure(err error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.fail = err
}

// Corrupt replaces the stored document of id with data, keeping its
// checksum, so that reading it reports driver.ErrCorrupt (unless data is
// the original). Tests use it to exercise corruption handling.
func (t *Tier) Corrupt(id string, data []byte) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if r, ok := t.s.frames[id]; ok {
		r.Data = slices.Clone(data)
		r.Compressed = nil
		t.s.frames[id] = r
	}
}

// Reopen returns a new handle on the same store, with the same size limit.
func (t *Tier) Reopen() (*Tier, error) { return &Tier{s: t.s, max: t.max}, nil }

// Evict forgets the frame id the way a cache under memory pressure does:
// afterwards it is missing, not damaged.
func (t *Tier) Evict(id string) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	delete(t.s.frames, id)
}
