package engine

import (
	"context"
	"time"
)

// maxBackgroundTasks bounds the goroutines started for one-off background
// work (promotions, repairs, flushes). Work beyond it is dropped: each of
// these tasks is an optimisation that a later read or cycle redoes.
const maxBackgroundTasks = 8

// statsPersistEvery is how many read flushes pass between two writes of
// the statistics to the state store.
const statsPersistEvery = 10

// startBackground starts the goroutines that live as long as the manager:
// the read-statistics flusher and, when Config.BackgroundSync is on, the
// maintenance loop.
func (m *Engine) startBackground(ctx context.Context) {
	m.taskCtx, m.stopTasks = context.WithCancel(context.Background())
	m.bgSlots = make(chan struct{}, maxBackgroundTasks)
	m.bgDone.Add(1)
	go func() {
		defer m.bgDone.Done()
		t := time.NewTicker(readFlushInterval)
		defer t.Stop()
		for tick := 1; ; tick++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.flushReads(ctx); err != nil && ctx.Err() == nil {
					m.log.Debug("flush of read statistics failed", "err", err)
				}
				if tick%statsPersistEvery == 0 {
					m.persistStats(ctx)
				}
				if tick%int(reconnectEvery/readFlushInterval) == 0 {
					m.reconnect(ctx)
					m.subscribe(ctx)
				}
			}
		}
	}()
	m.subscribe(ctx)
	if m.replicates() {
		m.bgDone.Add(1)
		go func() {
			defer m.bgDone.Done()
			m.replicationLoop(ctx)
		}()
	}
	if m.cfg.Background {
		m.bgDone.Add(1)
		go func() {
			defer m.bgDone.Done()
			m.maintainLoop(ctx)
		}()
	}
}

// closeGrace is how long Close lets one-off background tasks finish before
// it cancels them.
const closeGrace = 5 * time.Second

// stopBackground stops the loops, lets running tasks finish for up to
// closeGrace, then cancels them, and waits for every goroutine.
func (m *Engine) stopBackground() {
	m.bgMu.Lock()
	m.bgStopping = true
	m.bgMu.Unlock()
	m.stop()
	finished := make(chan struct{})
	go func() {
		m.bgDone.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(closeGrace):
		m.stopTasks()
		<-finished
	}
	m.stopTasks()
}

// goBackground runs task in a goroutine that Close waits for. It must be
// called while the caller holds the manager open (between enter and
// leave). When too many tasks run already, task is dropped. It reports
// whether task was started.
func (m *Engine) goBackground(task func(ctx context.Context)) bool {
	m.bgMu.Lock()
	defer m.bgMu.Unlock()
	if m.bgStopping {
		return false
	}
	select {
	case m.bgSlots <- struct{}{}:
	default:
		return false
	}
	m.bgDone.Add(1)
	go func() {
		defer func() {
			<-m.bgSlots
			m.bgDone.Done()
		}()
		task(m.taskCtx)
	}()
	return true
}
