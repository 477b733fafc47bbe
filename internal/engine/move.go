package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/state"
)

// A move takes frames from one tier to a lower one without ever leaving a
// frame in no tier (DESIGN.md, invariant 1). Each step is idempotent:
//
//  1. journal: the move is recorded in the state store (step "copying");
//  2. copy: the frame is written to the destination, and, when the
//     destination is a cache (not durable), first to the first durable
//     tier below it (invariant 2). A destination that already holds the
//     same version with the same checksum is not written again;
//  3. verify: the copies are read back; version and checksum must match;
//  4. record: the journal step becomes "copied";
//  5. delete: the source copy is removed, conditional on its version, so a
//     newer write that landed meanwhile stays where it is;
//  6. the journal entry is removed.
//
// A crash or a tier failure between any two steps leaves the frame in the
// source, the destination, or both; healMoves finishes (after step 4) or
// abandons (before it) what the journal holds.

// plan is where a batch of frames goes.
type plan struct {
	from, to *link
	also     *link // durable write-through target below a cache; nil if none
}

// targets returns where the frames go, the durable copy first: at no
// time is a cache the only copy.
func (p plan) targets() []*link {
	if p.also != nil {
		return []*link{p.also, p.to}
	}
	return []*link{p.to}
}

// planMove picks the targets for frames leaving from toward level to. It
// reports ok == false, with the reason, when no move keeps a durable copy.
func (m *Engine) planMove(from *link, to int) (plan, string, bool) {
	p := plan{from: from, to: m.chain[to-1]}
	if p.to.h().durable {
		return p, "", true
	}
	for _, l := range m.chain[to:] {
		if l.h().durable {
			p.also = l
			return p, "", true
		}
	}
	if !from.h().durable {
		// Cache to cache: the durable copy, if any, already lives below.
		return p, "", true
	}
	for _, l := range m.chain[to-1:] {
		if l.isPending() {
			// Not known to be durable until it answers.
			return p, fmt.Sprintf("%s is not connected yet", l), false
		}
	}
	return p, fmt.Sprintf("%s is a cache and no durable tier lies below it", p.to), false
}

// moveResult counts what moveFrames did.
type moveResult struct {
	moved   int
	skipped int // changed, deleted or unverifiable; left in the source
}

// moveFrames moves the frames with the given IDs along p. Frames the
// source no longer holds are skipped.
func (m *Engine) moveFrames(ctx context.Context, p plan, ids []string) (res moveResult, err error) {
	ctx, end := m.startOp(ctx, "move", "")
	defer func() { end(End{Level: p.to.level, Tier: p.to.name, Frames: res.moved, Err: err}) }()
	if p.from.level == 1 {
		// The move copies the frames itself: no replication batch may
		// land copies after it.
		m.replMu.Lock()
		defer m.replMu.Unlock()
		m.repl.drop(ids)
	}
	// Frames whose copies below are in place already (replicated early,
	// or brought up and unchanged) leave by a local delete: no journal,
	// no copy, no read-back, and no document read: their metadata tells.
	here, err := p.from.metas(ctx, ids)
	if err != nil {
		return res, fmt.Errorf("read from %s: %w", p.from, err)
	}
	found := make([]driver.Record, 0, len(here))
	for _, id := range ids {
		if mt, ok := here[id]; ok {
			found = append(found, driver.Record{Meta: mt})
		}
	}
	if found, err = m.withoutDeleted(ctx, found); err != nil {
		return res, err
	}
	res.skipped = len(ids) - len(found)
	targets := p.targets()
	placed, rest, err := m.splitInPlace(ctx, targets, found)
	if err != nil {
		return res, err
	}
	if len(placed) > 0 {
		m.dropPassed(ctx, p, placed)
		done, _ := m.dropSource(ctx, p, placed)
		res.moved += done
		res.skipped += len(placed) - done
		m.stats.moved(p.from.level, p.to.level, int64(done))
		m.stats.evicted(int64(done))
	}
	if len(rest) == 0 {
		return res, nil
	}
	// The others are copied: read their documents, checked.
	recs, damaged, err := p.from.getSound(ctx, journalIDs(rest))
	if err != nil {
		return res, fmt.Errorf("read from %s: %w", p.from, err)
	}
	if len(damaged) > 0 {
		// A damaged copy stays where it is, for Get or Verify to repair
		// from another tier; the others move on.
		m.log.Warn("damaged copies not moved", "tier", p.from.name, "frames", damaged)
	}
	if recs, err = m.withoutDeleted(ctx, recs); err != nil {
		return res, err
	}
	res.skipped += len(rest) - len(recs)
	if len(recs) == 0 {
		return res, nil
	}
	journal := make([]state.Move, len(recs))
	for i, r := range recs {
		journal[i] = state.Move{FrameID: r.ID, From: p.from.level, To: p.to.level,
			Version: r.Version, Checksum: r.Checksum}
		if p.also != nil {
			journal[i].Also = p.also.level
		}
	}
	if err := m.state.BeginMoves(ctx, journal); err != nil {
		return res, fmt.Errorf("journal: %w", err)
	}
	m.hook(stepJournaled)

	m.compressOnce(recs, p.to, p.also)
	for _, t := range targets {
		if err := m.copyTo(ctx, t, recs); err != nil {
			m.abandon(ctx, p.from.level, recs)
			return res, err
		}
		m.hook(stepCopied)
	}
	verified, err := m.verify(ctx, targets, recs)
	if err != nil {
		m.abandon(ctx, p.from.level, recs)
		return res, err
	}
	if p.also != nil && len(verified) < len(recs) {
		// Frames the durable tier lost between copy and verify, deleted
		// on another machine, lose their cache copies too; all of them
		// stay in the source.
		m.undoDeletedMeanwhile(ctx, p, unverified(recs, verified), map[string]bool{})
	}
	res.skipped += len(recs) - len(verified)
	ids = ids[:0]
	for _, r := range verified {
		ids = append(ids, r.ID)
	}
	if err := m.state.MarkCopied(ctx, p.from.level, ids); err != nil {
		m.abandon(ctx, p.from.level, recs)
		return res, fmt.Errorf("journal: %w", err)
	}
	m.hook(stepRecorded)
	m.dropPassed(ctx, p, verified)
	done, dropped := m.dropSource(ctx, p, verified)
	m.hook(stepDeleted)
	ended := recs
	if !dropped {
		// Keep the verified moves journaled: the heal pass deletes their
		// sources. The others are abandoned.
		ended = unverified(recs, verified)
	}
	if err := m.state.EndMoves(ctx, p.from.level, journalIDs(ended)); err != nil {
		m.log.Warn("journal cleanup failed; the next heal pass finishes it", "err", err)
	}
	res.moved += done
	res.skipped += len(verified) - done
	m.stats.moved(p.from.level, p.to.level, int64(done))
	return res, nil
}

// splitInPlace separates the records every target already holds, at their
// version with the same checksum (or newer), from the others. A record the
// durable target shows superseded (supersededBelow: updated on another
// machine) counts as placed too: copying it would only put an older
// version into the shared tiers; dropping the source is what is left. It compares metadata only where the
// tiers can report it (driver.MetaGetter).
func (m *Engine) splitInPlace(ctx context.Context, targets []*link, recs []driver.Record) (placed, rest []driver.Record, err error) {
	ids := journalIDs(recs)
	count := make(map[string]int, len(recs))
	superseded := make(map[string]bool)
	need := len(targets)
	var down []*link
	defer func() {
		if err == nil && len(down) > 0 && len(placed) > 0 {
			m.dropStaleLater(ctx, down, placed)
		}
	}()
	for _, t := range targets {
		metas, err := t.metas(ctx, ids)
		if err != nil {
			if !t.h().durable && errors.Is(err, ErrUnavailable) && len(targets) > 1 {
				// A cache that is down is not needed for a frame to
				// leave: the durable copy is what keeps it. Older copies
				// the cache may hold are removed when it returns.
				need--
				down = append(down, t)
				continue
			}
			return nil, nil, fmt.Errorf("look up copies in %s: %w", t, err)
		}
		var buried map[string]uint64
		if t.h().durable {
			if buried, err = t.buried(ctx, metasOf(recs), metas); err != nil {
				return nil, nil, fmt.Errorf("look up deletes in %s: %w", t, err)
			}
		}
		for _, r := range recs {
			mt, ok := metas[r.ID]
			if ok && covers(mt, r.Meta) {
				count[r.ID]++
			}
			if t.h().durable && (m.supersededBelow(r.Meta, mt, ok) || m.deletedBelow(r.ID, buried)) {
				superseded[r.ID] = true
			}
		}
	}
	for _, r := range recs {
		if count[r.ID] >= need || superseded[r.ID] {
			placed = append(placed, r)
		} else {
			rest = append(rest, r)
		}
	}
	return placed, rest, nil
}

// dropStaleLater records in the outbox that the tiers (caches that could
// not be asked) must drop their copies older than recs when they return:
// left there, an older copy would sit above the newer one and be served
// first.
func (m *Engine) dropStaleLater(ctx context.Context, tiers []*link, recs []driver.Record) {
	var later []state.Change
	for _, l := range tiers {
		for _, r := range recs {
			later = append(later, state.Change{Level: l.level, Op: state.OpDropStale, FrameID: r.ID, Version: r.Version - 1})
		}
	}
	if err := m.state.Enqueue(context.WithoutCancel(ctx), later); err != nil {
		m.log.Warn("cannot record removal of older copies", "err", err)
	}
}

// supersededBelow reports whether the durable tier holds a newer version
// of the frame than mine (another machine wrote it since): such a copy is
// written nowhere and leaves the first tier. A frame the durable tier does
// not hold is never taken as deleted here, even when it was known to hold
// it: a database restored or replaced would otherwise make the first tier
// drop frames it alone still holds. Deletes made elsewhere are acted on
// when a change notification names the frame (see revalidate).
func (m *Engine) supersededBelow(mine, below driver.Meta, held bool) bool {
	if held && below.Version > mine.Version {
		m.clock.observe(below.Version)
		return true
	}
	return false
}

// deletedBelow reports whether the durable tier remembers the frame
// deleted at its version or later (buried, from link.buried): deleted on
// another machine, it leaves the first tier and is written nowhere.
func (m *Engine) deletedBelow(id string, buried map[string]uint64) bool {
	upTo, ok := buried[id]
	if ok {
		m.clock.observe(upTo)
	}
	return ok
}

// metasOf returns the metadata of recs.
func metasOf(recs []driver.Record) []driver.Meta {
	out := make([]driver.Meta, len(recs))
	for i, r := range recs {
		out[i] = r.Meta
	}
	return out
}

// covers reports whether a copy described by have stands for the copy
// described by want: same version and checksum, or a newer version.
func covers(have, want driver.Meta) bool {
	return have.Version > want.Version || (have.Version == want.Version && have.Checksum == want.Checksum)
}

// compressOnce has the documents that leave toward targets compressed
// once, by the first target that stores documents compressed (with its own
// level and minimum size), so every lower tier stores the same bytes and
// none compresses them again. Tiers that store documents raw ignore the
// compressed bytes.
func (m *Engine) compressOnce(recs []driver.Record, targets ...*link) {
	var c driver.Compressor
	for _, t := range targets {
		if t != nil && t.h().compressor != nil {
			c = t.h().compressor
			break
		}
	}
	if c == nil {
		return
	}
	for i := range recs {
		r := &recs[i]
		if r.Compressed != nil {
			continue
		}
		if r.Compressed = c.Compress(r.Data); r.Compressed != nil {
			m.stats.compressed(r.Size, int64(len(r.Compressed)))
		}
	}
}

// copyTo writes the records to t, except those t already holds at the same
// version and checksum.
func (m *Engine) copyTo(ctx context.Context, t *link, recs []driver.Record) error {
	have, err := t.metas(ctx, journalIDs(recs))
	if err != nil {
		return fmt.Errorf("copy to %s: %w", t, err)
	}
	var todo []driver.Record
	for _, r := range recs {
		if mt, ok := have[r.ID]; !ok || !covers(mt, r.Meta) {
			todo = append(todo, r)
		}
	}
	if err := t.putMany(ctx, todo); err != nil {
		return fmt.Errorf("copy to %s: %w", t, err)
	}
	return nil
}

// verify asks every target what it holds of the records (their metadata,
// where the tier can tell it without reading documents; every tier checks
// a document's checksum whenever it reads it) and returns the records that
// every target holds at their version (or newer) with the same checksum.
func (m *Engine) verify(ctx context.Context, targets []*link, recs []driver.Record) ([]driver.Record, error) {
	want := make(map[string]driver.Record, len(recs))
	for _, r := range recs {
		want[r.ID] = r
	}
	good := make(map[string]int, len(recs))
	for _, t := range targets {
		held, err := t.metas(ctx, journalIDs(recs))
		if err != nil {
			return nil, fmt.Errorf("verify in %s: %w", t, err)
		}
		for id, mt := range held {
			if covers(mt, want[id].Meta) {
				good[id]++
			}
		}
	}
	var out []driver.Record
	for _, r := range recs {
		if good[r.ID] == len(targets) {
			out = append(out, r)
		}
	}
	return out, nil
}

// holds reports whether copy h can stand for r: a sound copy of the same
// version with the same checksum, or of a newer version.
func holds(h, r driver.Record) bool {
	if h.ID != r.ID || driver.Checksum(h.Data) != h.Checksum {
		return false
	}
	return covers(h.Meta, r.Meta)
}

// dropPassed removes older copies from the tiers a move skipped over
// (from tier 1 straight to tier 3, say): left there, an older copy would
// sit above the newer one and be served first. A tier that cannot be
// reached gets the removal through the outbox, and until then reads skip
// the older copies.
func (m *Engine) dropPassed(ctx context.Context, p plan, recs []driver.Record) {
	for _, l := range m.chain[p.from.level : p.to.level-1] {
		if l == p.also {
			continue
		}
		var later []state.Change
		for _, r := range recs {
			if err := l.delete(ctx, r.ID, r.Version-1); err != nil {
				later = append(later, state.Change{Level: l.level, Op: state.OpDropStale, FrameID: r.ID, Version: r.Version - 1})
			}
		}
		if len(later) > 0 {
			if err := m.state.Enqueue(context.WithoutCancel(ctx), later); err != nil {
				m.log.Warn("cannot record removal of older copies", "tier", l.name, "err", err)
			}
		}
	}
}

// dropSource deletes the source copies once the destination holds them.
// The delete is conditional on the moved version. A frame deleted while it
// was being copied is removed from the destinations too (through the
// outbox if one cannot be reached), so the move does not bring it back. It
// returns how many frames moved.
func (m *Engine) dropSource(ctx context.Context, p plan, recs []driver.Record) (moved int, ok bool) {
	dels := make([]driver.Deletion, len(recs))
	// Deletes of other processes (queued in the state store); when it
	// cannot tell, this process's own, as the copies were checked before.
	retired, _ := m.retiredAmong(ctx, recs)
	for i, r := range recs {
		// A Delete of this process after this check removes the new
		// copies itself (it holds the lock while it records the delete).
		unlock := m.locks.lock(r.ID)
		if retired[r.ID] || r.Version <= m.gone.get(r.ID) {
			m.undoCopies(ctx, p, r)
		} else {
			moved++
		}
		unlock()
		dels[i] = driver.Deletion{ID: r.ID, UpTo: r.Version}
	}
	if err := p.from.deleteMany(ctx, dels); err != nil {
		m.log.Warn("source copies not removed; the next heal pass retries", "tier", p.from.name, "err", err)
		return 0, false
	}
	if p.from.level == 1 {
		if err := m.state.ForgetShared(context.WithoutCancel(ctx), journalIDs(recs)); err != nil {
			m.log.Debug("shared versions not forgotten", "err", err)
		}
	}
	return moved, true
}

// undoCopies removes the copies a move made of a frame deleted meanwhile.
func (m *Engine) undoCopies(ctx context.Context, p plan, r driver.Record) {
	for _, t := range []*link{p.to, p.also} {
		if t == nil {
			continue
		}
		if err := t.bury(ctx, r.ID, r.Version); err != nil {
			change := state.Change{Level: t.level, Op: state.OpDelete, FrameID: r.ID, Version: r.Version}
			if err := m.state.Enqueue(context.WithoutCancel(ctx), []state.Change{change}); err != nil {
				m.log.Warn("cannot record the removal of a deleted frame's copy", "frame", r.ID, "tier", t.name, "err", err)
			}
		}
	}
}

// unverified returns the records of all that are not in some.
func unverified(all, some []driver.Record) []driver.Record {
	in := make(map[string]bool, len(some))
	for _, r := range some {
		in[r.ID] = true
	}
	var out []driver.Record
	for _, r := range all {
		if !in[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// abandon removes journal entries of a move that failed before its copies
// were verified: the source still holds every frame.
func (m *Engine) abandon(ctx context.Context, from int, recs []driver.Record) {
	if err := m.state.EndMoves(context.WithoutCancel(ctx), from, journalIDs(recs)); err != nil {
		m.log.Warn("journal cleanup failed; the next heal pass finishes it", "err", err)
	}
}

// withoutDeleted returns recs without the copies not to be served or
// copied (retiredAmong), in place. When the state store cannot tell, it
// returns none: nothing moves that may have been deleted.
func (m *Engine) withoutDeleted(ctx context.Context, recs []driver.Record) ([]driver.Record, error) {
	retired, err := m.retiredAmong(ctx, recs)
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	out := recs[:0]
	for _, r := range recs {
		if !retired[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

func journalIDs(recs []driver.Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}
