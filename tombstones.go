package tier

import (
	"context"
	"sync"
)

// tombstones remembers frames deleted while a tier that may hold a copy
// could not be reached. Until every tier has dropped its copy, Get reports
// such a frame as not found and no move or promotion brings it back. A
// later Put of the same ID ends the tombstone.
type tombstones struct {
	mu  sync.Mutex
	ids map[string]uint64 // frame -> delete every version up to this
}

func newTombstones() *tombstones { return &tombstones{ids: map[string]uint64{}} }

// rememberDeleted records a delete of id and returns the version up to
// which copies are to be removed: versions written before the delete.
func (m *Manager) rememberDeleted(id string) uint64 {
	upTo := m.clock.next(m.now(), 0)
	m.gone.mu.Lock()
	defer m.gone.mu.Unlock()
	m.gone.ids[id] = upTo
	return upTo
}

func (m *Manager) forgetDeleted(ids []string) {
	m.gone.mu.Lock()
	defer m.gone.mu.Unlock()
	if len(m.gone.ids) == 0 {
		return
	}
	for _, id := range ids {
		delete(m.gone.ids, id)
	}
}

// isDeleted reports whether a copy of id at the given version was deleted
// (its removal from some tier may still be pending).
func (m *Manager) isDeleted(id string, version uint64) bool {
	m.gone.mu.Lock()
	defer m.gone.mu.Unlock()
	upTo, ok := m.gone.ids[id]
	return ok && version <= upTo
}

// deferDelete is called when some tier failed to delete id. The tombstone
// stays; the delete is retried by the maintenance loop.
func (m *Manager) deferDelete(ctx context.Context, id string, cause error) error {
	_ = ctx
	m.log.Warn("delete postponed: a tier could not be reached", "frame", id, "err", cause)
	return nil
}

// finishDelete drops the tombstone once every tier dropped its copy.
func (m *Manager) finishDelete(id string) {
	m.gone.mu.Lock()
	defer m.gone.mu.Unlock()
	delete(m.gone.ids, id)
}
