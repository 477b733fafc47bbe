package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/state"
)

// healMoves finishes or abandons the moves the journal holds: moves a
// crashed process, or a failed tier, left half done. It must run under the
// mover lease, so no live process is in the middle of one of them.
func (m *Engine) healMoves(ctx context.Context) (finished, abandoned int, err error) {
	for {
		moves, err := m.state.PendingMoves(ctx, m.now().Add(time.Second), 200)
		if err != nil || len(moves) == 0 {
			return finished, abandoned, err
		}
		progress := false
		for _, mv := range moves {
			done, err := m.healMove(ctx, mv)
			if err != nil {
				m.log.Warn("cannot heal interrupted move yet", "frame", mv.FrameID, "from", mv.From, "err", err)
				continue
			}
			progress = true
			if done {
				finished++
			} else {
				abandoned++
			}
		}
		if !progress {
			return finished, abandoned, nil
		}
	}
}

// healMove settles one journaled move. It reports done == true when the
// move was completed, false when it was abandoned (the source keeps the
// frame).
func (m *Engine) healMove(ctx context.Context, mv state.Move) (done bool, err error) {
	if mv.From < 1 || mv.From > len(m.chain) || mv.To < 1 || mv.To > len(m.chain) || mv.Also > len(m.chain) {
		// The chain changed since the move began: nothing safe to finish.
		return false, m.state.EndMoves(ctx, mv.From, []string{mv.FrameID})
	}
	from := m.chain[mv.From-1]
	want := driver.Record{Meta: driver.Meta{ID: mv.FrameID, Version: mv.Version, Checksum: mv.Checksum}}
	targets := []*link{m.chain[mv.To-1]}
	if mv.Also > 0 {
		targets = append(targets, m.chain[mv.Also-1])
	}
	copied := mv.Step == state.StepCopied
	if !copied {
		copied = true
		for _, t := range targets {
			h, ok, err := t.get(ctx, mv.FrameID)
			if err != nil {
				return false, err
			}
			if !ok || !holds(h, want) {
				copied = false
				break
			}
		}
	}
	if copied {
		p := plan{from: from, to: targets[0]}
		if len(targets) > 1 {
			p.also = targets[1]
		}
		m.dropPassed(ctx, p, []driver.Record{want})
		moved, ok := m.dropSource(ctx, p, []driver.Record{want})
		if !ok {
			return false, fmt.Errorf("%s: source copy not removed yet", from)
		}
		if moved == 1 {
			m.stats.moved(mv.From, mv.To, 1)
		}
	}
	return copied, m.state.EndMoves(ctx, mv.From, []string{mv.FrameID})
}
