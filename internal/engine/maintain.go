package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/state"
)

// Background work limits. A cycle moves at most maxFramesPerCycle frames;
// after a cycle that took d, the loop waits at least d/cpuBudget, so the
// background work uses at most cpuBudget of one core on average, whatever
// SyncInterval says. While a cycle finds more frames over the limits than
// it may move (after a burst of writes), the loop catches up at
// catchUpBudget instead, so the tiers do not stay over their limits.
const (
	moveBatchSize     = 200
	maxFramesPerCycle = 2000
	cpuBudget         = 0.02
	catchUpBudget     = 0.5
	leaseName         = "mover"
	leaseTTL          = 30 * time.Second
	// tombstoneLife is how long a delete keeps moves and promotions of any
	// process from bringing the frame back: far longer than a move takes.
	tombstoneLife = time.Hour
)

// maintainLoop runs a maintenance cycle every SyncInterval until ctx ends.
func (m *Engine) maintainLoop(ctx context.Context) {
	wait := time.Duration(m.cfg.SyncInterval)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		start := time.Now()
		rep, err := m.maintain(ctx)
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrBusy) {
			m.log.Warn("maintenance cycle failed", "err", err)
		}
		took := time.Since(start)
		m.stats.background(took)
		wait = max(time.Duration(m.cfg.SyncInterval), time.Duration(float64(took)/cpuBudget))
		if rep.Demoted >= maxFramesPerCycle {
			// A tier is far over its limits (a burst of writes, or a
			// limit lowered): catch up at a higher duty cycle until the
			// tiers fit again.
			wait = time.Duration(float64(took) / catchUpBudget)
			m.log.Debug("tiers over their limits; catching up", "demoted", rep.Demoted, "next_in", wait)
		}
	}
}

// MaintenanceReport says what a maintenance cycle did.
type MaintenanceReport struct {
	// Demoted counts frames moved down because a tier was over a limit.
	Demoted int `json:"demoted"`
	// Healed counts interrupted moves finished; Abandoned those rolled back
	// (the frame stayed in its source tier).
	Healed    int `json:"healed"`
	Abandoned int `json:"abandoned"`
	// OutboxApplied counts postponed changes delivered to a tier.
	OutboxApplied int `json:"outbox_applied"`
	// Stuck explains tiers over their limits whose frames cannot move.
	Stuck []string `json:"stuck,omitempty"`
}

// Maintain runs one maintenance cycle now: deliver postponed deletes, heal
// interrupted moves, and demote frames from every tier over its limits
// (frames, bytes, idle time) in the order of Config.EvictionStrategy. The
// background loop runs the same cycle every SyncInterval.
//
// Only one process at a time moves frames of a state file: when another
// holds the lease, Maintain returns at once with an error wrapping
// ErrBusy.
func (m *Engine) Maintain(ctx context.Context) (MaintenanceReport, error) {
	if err := m.enter(); err != nil {
		return MaintenanceReport{}, err
	}
	defer m.leave()
	return m.maintain(ctx)
}

func (m *Engine) maintain(ctx context.Context) (MaintenanceReport, error) {
	var rep MaintenanceReport
	release, err := m.takeLease(ctx)
	if err != nil {
		return rep, err
	}
	defer release()
	m.reconnect(ctx)
	if err := m.state.PruneTombstones(ctx, m.now().Add(-tombstoneLife)); err != nil {
		m.log.Debug("tombstones not pruned", "err", err)
	}
	rep.OutboxApplied = m.replayOutbox(ctx)
	if rep.Healed, rep.Abandoned, err = m.healMoves(ctx); err != nil {
		return rep, err
	}
	budget := maxFramesPerCycle
	var errs []error
	for _, l := range m.chain[:len(m.chain)-1] {
		n, stuck, err := m.demote(ctx, l, budget)
		rep.Demoted += n
		budget -= n
		if stuck != "" {
			rep.Stuck = append(rep.Stuck, stuck)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if budget <= 0 || ctx.Err() != nil {
			break
		}
	}
	m.setStuck(rep.Stuck)
	return rep, errors.Join(errs...)
}

// takeLease takes the mover lease of the state file, or fails with
// ErrBusy. The returned function releases it.
func (m *Engine) takeLease(ctx context.Context) (func(), error) {
	err := m.state.AcquireLease(ctx, leaseName, m.owner, leaseTTL)
	if errors.Is(err, state.ErrLeaseHeld) {
		// A process of this machine that died holding the lease does
		// not make the others wait for the lease to expire.
		holder, lerr := m.state.LeaseOwner(ctx, leaseName)
		if lerr != nil || !ownerIsDead(holder) {
			return nil, ErrBusy
		}
		if err = m.state.TakeOverLease(ctx, leaseName, holder, m.owner, leaseTTL); err != nil {
			return nil, ErrBusy
		}
		m.log.Info("took over the mover lease of a dead process", "holder", holder)
	}
	if err != nil {
		return nil, fmt.Errorf("tier: state store: %w", err)
	}
	return func() {
		_ = m.state.ReleaseLease(context.WithoutCancel(ctx), leaseName, m.owner)
	}, nil
}

// demote moves frames out of l while it is over a limit, at most budget
// frames. It returns how many moved, and a reason when frames over a limit
// cannot move.
func (m *Engine) demote(ctx context.Context, l *link, budget int) (int, string, error) {
	p, why, ok := m.planMove(l, l.level+1)
	u, err := l.usage(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("usage of %s: %w", l, err)
	}
	over := overLimits(u, l.limits)
	idleBefore := time.Time{}
	if l.limits.MaxIdle > 0 {
		idleBefore = m.now().Add(-l.limits.MaxIdle)
	}
	if over == 0 && idleBefore.IsZero() {
		return 0, "", nil
	}
	if !ok {
		if over > 0 {
			return 0, fmt.Sprintf("%s is over its limits by %d frames but cannot demote: %s", l, over, why), nil
		}
		return 0, "", nil
	}
	moved := 0
	for moved < budget && ctx.Err() == nil {
		q := driver.CandidateQuery{Policy: m.cfg.Policy, Limit: min(moveBatchSize, budget-moved)}
		if over <= 0 {
			if idleBefore.IsZero() {
				break
			}
			q.Policy, q.AccessedBefore = driver.LRU, idleBefore
		} else {
			q.Limit = min(q.Limit, over)
		}
		cands, err := l.candidates(ctx, q)
		if err != nil {
			return moved, "", fmt.Errorf("candidates of %s: %w", l, err)
		}
		ids := make([]string, 0, len(cands))
		var freedBytes int64
		for _, c := range cands {
			if m.promoter.recentlyPromoted(c.ID, m.now()) {
				continue
			}
			ids = append(ids, c.ID)
			freedBytes += c.Size
		}
		if len(ids) == 0 {
			break
		}
		res, err := m.moveFrames(ctx, p, ids)
		moved += res.moved
		if err != nil {
			return moved, "", err
		}
		if res.moved == 0 {
			break // nothing movable in this batch; try again next cycle
		}
		if over > 0 {
			u.Frames -= int64(res.moved)
			u.Bytes -= freedBytes
			over = overLimits(u, l.limits)
		}
	}
	return moved, "", nil
}

// overLimits returns how many frames must leave for u to fit in lim. For
// the byte limit it estimates from the mean frame size.
func overLimits(u driver.Usage, lim Limits) int {
	over := int64(0)
	if lim.MaxFrames > 0 && u.Frames > lim.MaxFrames {
		over = u.Frames - lim.MaxFrames
	}
	if lim.MaxBytes > 0 && u.Bytes > lim.MaxBytes && u.Frames > 0 {
		mean := max(u.Bytes/u.Frames, 1)
		over = max(over, (u.Bytes-lim.MaxBytes+mean-1)/mean)
	}
	return int(over)
}

// ownerID names this manager in the lease table: host/pid/unique.
func ownerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString())
}

// ownerIsDead reports whether owner names a process of this host that no
// longer runs. A process of another host is never assumed dead.
func ownerIsDead(owner string) bool {
	host, _ := os.Hostname()
	parts := strings.Split(owner, "/")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return processGone(pid)
}
