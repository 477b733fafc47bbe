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

// Background work limits. A cycle moves at most maxFramesPerCycle frames.
// After a cycle that took d, the loop waits at least d/cpuBudget, so the
// background work uses at most cpuBudget of one core on average, whatever
// SyncInterval says, while the tiers fit. While a tier is over its limits
// (writes since the last cycle, or more than a cycle could move), the
// loop runs again as soon as its duty cycle allows, and the duty cycle
// grows with the overage (see dutyFor): it works in proportion to the
// overage until the tier is back.
const (
	moveBatchSize     = 200
	maxFramesPerCycle = 5000
	cpuBudget         = 0.02
	catchUpBudget     = 0.5
	firstCycleAfter   = 2 * time.Second
	leaseName         = "mover"
	leaseTTL          = 30 * time.Second
	// tombstoneLife is how long a delete keeps moves and promotions of any
	// process from bringing the frame back: far longer than a move takes.
	tombstoneLife = time.Hour
)

// maintainLoop runs a maintenance cycle every SyncInterval, or sooner when
// a tier goes over its limits, until ctx ends.
func (m *Engine) maintainLoop(ctx context.Context) {
	// The first cycle comes soon: it replicates what a previous process
	// left unreplicated.
	wait := min(m.cfg.SyncInterval, firstCycleAfter)
	var cost time.Duration // of a cycle, smoothed over the last few
	ended := time.Now()    // when the last cycle ended
	for {
		urgent := false // woken by writes that took the first tier over its limits
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-m.wake:
			timer.Stop()
			if !m.awaitDuty(ctx, cost, ended) {
				return
			}
			urgent = true
		}
		start := time.Now()
		cycle := m.maintain
		if urgent {
			cycle = m.relieveFirst
		}
		rep, err := cycle(ctx)
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrBusy) {
			m.log.Warn("maintenance cycle failed", "err", err)
		}
		ended = time.Now()
		took := ended.Sub(start)
		m.stats.background(took)
		// One slow cycle (a loaded machine, a slow call) must not hold the
		// next ones back for long: the loop paces itself on the mean.
		cost = smooth(cost, took)
		wait = max(m.cfg.SyncInterval, time.Duration(float64(cost)/cpuBudget))
		if rep.overage > 0 {
			wait = time.Duration(float64(cost) / dutyFor(rep.overage))
			m.log.Debug("tiers over their limits; catching up", "demoted", rep.Demoted, "overage", rep.overage, "next_in", wait)
		}
	}
}

// awaitDuty waits, once writes took the first tier over its limits, until
// the duty cycle of the overage allows the next cycle: cost/dutyFor(over)
// after the last cycle ended. Each further write over the limits wakes it
// again, and the growing overage shortens the wait, so the tier goes back
// under its limits sooner the faster it is filled. It reports false when
// ctx ended.
func (m *Engine) awaitDuty(ctx context.Context, cost time.Duration, ended time.Time) bool {
	for {
		over := overShare(m.hot.get(), m.chain[0].limits)
		left := time.Duration(float64(cost)/dutyFor(over)) - time.Since(ended)
		if left <= 0 {
			return true
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
			return true
		case <-m.wake: // more writes: the overage grew
			t.Stop()
		}
	}
}

// smooth is the moving mean of cycle costs that paces the loop.
func smooth(mean, took time.Duration) time.Duration {
	if mean == 0 {
		return took
	}
	return (7*mean + 3*took) / 10
}

// dutyFor is the share of a core the loop may use while a tier is over
// its limits by over (a share of the limit): cpuBudget when it fits,
// growing in proportion to the overage up to catchUpBudget at fullCatchUp
// over the limit. The faster writes push the tier over, the more often
// the loop runs, so the overage settles at a few percent.
func dutyFor(over float64) float64 {
	if over <= 0 {
		return cpuBudget
	}
	return cpuBudget + min(over/fullCatchUp, 1)*(catchUpBudget-cpuBudget)
}

// fullCatchUp is the overage at which the loop runs at catchUpBudget.
const fullCatchUp = 0.25

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

	// overage is how far over its limits the fullest tier still is, as
	// a share of its limit (0 when every tier fits).
	overage float64
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
	if m.replicates() && !m.reconciled.Load() {
		if err := m.reconcile(ctx); err != nil {
			m.log.Warn("first tier not compared with the shared tiers", "err", err)
		} else {
			m.reconciled.Store(true)
		}
	}
	budget := maxFramesPerCycle
	var errs []error
	for _, l := range m.chain[:len(m.chain)-1] {
		d, err := m.demote(ctx, l, budget)
		rep.Demoted += d.moved
		budget -= d.moved
		rep.overage = max(rep.overage, d.overage)
		if d.stuck != "" {
			rep.Stuck = append(rep.Stuck, d.stuck)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if budget <= 0 || ctx.Err() != nil {
			break
		}
	}
	return rep, errors.Join(errs...)
}

// relieveFirst is the cycle the loop runs when writes took the first tier
// over its limits: it only demotes from the first tier. The regular cycles
// (Maintain) do the rest: postponed deletes, interrupted moves, the lower
// tiers.
func (m *Engine) relieveFirst(ctx context.Context) (MaintenanceReport, error) {
	var rep MaintenanceReport
	release, err := m.takeLease(ctx)
	if err != nil {
		return rep, err
	}
	defer release()
	d, err := m.demote(ctx, m.chain[0], maxFramesPerCycle)
	rep.Demoted, rep.overage = d.moved, d.overage
	if d.stuck != "" {
		rep.Stuck = append(rep.Stuck, d.stuck)
	}
	return rep, err
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

// demotion is what demote did to one tier.
type demotion struct {
	moved   int
	stuck   string  // why frames over a limit cannot move; "" if they can
	overage float64 // how far over its limits the tier still is, as a share
}

// demote moves frames out of l, at most budget frames: while it is over a
// limit, down to lowWater of its limits, in the order of the policy; and
// frames idle for longer than MaxIdle. Copies brought up within the
// promotion window are passed over while other frames can go; when only
// they are left and the tier is still over a limit, they go too.
func (m *Engine) demote(ctx context.Context, l *link, budget int) (demotion, error) {
	var d demotion
	p, why, ok := m.planMove(l, l.level+1)
	u, err := l.usage(ctx)
	if err != nil {
		return d, fmt.Errorf("usage of %s: %w", l, err)
	}
	if l.level == 1 {
		m.hot.set(u)
	}
	over := overLimits(u, l.limits)
	if over > 0 {
		over = overLimits(u, l.limits.scaled(lowWater))
	}
	idleBefore := time.Time{}
	if l.limits.MaxIdle > 0 {
		idleBefore = m.now().Add(-l.limits.MaxIdle)
	}
	defer func() {
		if l.level == 1 {
			m.hot.add(-int64(d.moved), 0)
		}
		if d.stuck == "" {
			d.overage = overShare(u, l.limits)
		}
	}()
	if over == 0 && idleBefore.IsZero() {
		return d, nil
	}
	if !ok {
		if over > 0 {
			d.stuck = stuckReason(l, over, why)
		}
		return d, nil
	}
	for d.moved < budget && ctx.Err() == nil {
		want := min(moveBatchSize, budget-d.moved)
		q := driver.CandidateQuery{Policy: m.cfg.Policy}
		switch {
		case over > 0:
			want = min(want, over)
		case !idleBefore.IsZero():
			q.Policy, q.AccessedBefore = driver.LRU, idleBefore
		default:
			return d, nil
		}
		// Ask past the protected copies, so they never hide the frames
		// that may go.
		protected, _ := m.up.usage()
		if l.level > 1 {
			protected = 0
		}
		q.Limit = want + protected
		cands, err := l.candidates(ctx, q)
		if err != nil {
			return d, fmt.Errorf("candidates of %s: %w", l, err)
		}
		ids, freed := m.pickVictims(l, cands, want, over > 0)
		if len(ids) == 0 {
			break
		}
		res, err := m.moveFrames(ctx, p, ids)
		d.moved += res.moved
		if err != nil {
			return d, err
		}
		if res.moved == 0 {
			break // nothing movable in this batch; try again next cycle
		}
		if l.level == 1 {
			m.up.remove(ids...)
		}
		u.Frames -= int64(res.moved)
		u.Bytes -= freed
		if over > 0 {
			over = max(overLimits(u, l.limits.scaled(lowWater)), 0)
			if over == 0 {
				over = -1 // under the limits now; go on with idle frames only
			}
		}
	}
	return d, nil
}

// pickVictims takes up to want frames from cands, in their order, passing
// over copies brought up within the promotion window; when mustFree is set
// and too few others are left, the protected copies go too, in order.
func (m *Engine) pickVictims(l *link, cands []driver.Meta, want int, mustFree bool) (ids []string, freed int64) {
	now := m.now()
	var held []driver.Meta
	for _, c := range cands {
		if len(ids) == want {
			break
		}
		if l.level == 1 && m.up.protected(c.ID, now, m.cfg.PromotionWindow) {
			held = append(held, c)
			continue
		}
		ids = append(ids, c.ID)
		freed += c.Size
	}
	for _, c := range held {
		if !mustFree || len(ids) == want {
			break
		}
		ids = append(ids, c.ID)
		freed += c.Size
	}
	return ids, freed
}

// overLimits returns how many frames must leave for u to fit in lim. For
// the byte limit it estimates from the mean frame size.
func overLimits(u driver.Usage, lim Limits) int {
	if u.Frames <= 0 {
		return 0
	}
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

// overShare is how far over its limits u is, as a share of the limit it
// exceeds most (0 when it fits).
func overShare(u driver.Usage, lim Limits) float64 {
	share := 0.0
	if lim.MaxFrames > 0 && u.Frames > lim.MaxFrames {
		share = float64(u.Frames-lim.MaxFrames) / float64(lim.MaxFrames)
	}
	if lim.MaxBytes > 0 && u.Bytes > lim.MaxBytes {
		share = max(share, float64(u.Bytes-lim.MaxBytes)/float64(lim.MaxBytes))
	}
	return share
}
