package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stackmemoryai/tier"
)

// auditReport is the final check: every frame the model says exists is
// read back and compared byte for byte with the document it was given;
// every frame it deleted must be not found.
type auditReport struct {
	Checked int `json:"checked"`
	OK      int `json:"ok"`      // present and byte-identical
	Gone    int `json:"gone"`    // deleted and not found, as expected
	Lost    int `json:"lost"`    // exists in the model, not found
	Stale   int `json:"stale"`   // an older revision returned
	Corrupt int `json:"corrupt"` // bytes that match no revision, or ErrCorrupt
	// Resurrected counts deleted frames returned again.
	Resurrected int `json:"resurrected"`
	// Unreachable counts frames whose Get still failed with
	// ErrUnavailable (or another error) after retries.
	Unreachable int            `json:"unreachable"`
	ByTier      map[string]int `json:"by_tier"` // where the good copies were read
	Samples     []string       `json:"samples,omitempty"`
	Took        time.Duration  `json:"took_ns"`
}

// failures is the number of frames the audit found wrong.
func (a auditReport) failures() int {
	return a.Lost + a.Stale + a.Corrupt + a.Resurrected + a.Unreachable
}

const (
	auditWorkers = 8
	auditRetries = 5
)

// audit checks every frame of the model.
func audit(ctx context.Context, m *tier.Manager, mdl *model, w *workload) auditReport {
	start := time.Now()
	rep := auditReport{ByTier: map[string]int{}}
	var mu sync.Mutex
	next := make(chan *entry)
	var wg sync.WaitGroup
	for range auditWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range next {
				kind, from, sample := auditOne(ctx, m, w, e)
				mu.Lock()
				rep.Checked++
				switch kind {
				case "ok":
					rep.OK++
					rep.ByTier[from]++
				case "gone":
					rep.Gone++
				case "lost":
					rep.Lost++
				case "stale":
					rep.Stale++
				case "resurrected":
					rep.Resurrected++
				case "unreachable":
					rep.Unreachable++
				default:
					rep.Corrupt++
				}
				if sample != "" && len(rep.Samples) < maxSamples {
					rep.Samples = append(rep.Samples, sample)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range mdl.count() {
		e := mdl.at(i)
		if !e.live.Load() {
			continue // its Put failed: the library never acknowledged it
		}
		select {
		case next <- e:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	rep.Took = time.Since(start)
	return rep
}

// auditOne checks one frame, retrying while a tier is unavailable.
func auditOne(ctx context.Context, m *tier.Manager, w *workload, e *entry) (kind, from, sample string) {
	gone := e.deleted.Load()
	maybeGone := e.deleting.Load() // a Delete whose outcome is unknown
	lo, hi := int(e.rev.Load()), max(int(e.rev.Load()), int(e.next.Load()))
	var err error
	for try := range auditRetries {
		if try > 0 {
			sleep(ctx, time.Second)
		}
		gctx, cancel := context.WithTimeout(ctx, opTimeout)
		var f tier.Frame
		f, err = m.Get(gctx, e.id)
		cancel()
		switch {
		case err == nil && gone:
			how := ""
			if a, ok := e.ackOf(deletedRev); ok {
				how = fmt.Sprintf(" on machine %d %s before", a.machine, time.Since(a.at).Round(time.Millisecond))
			}
			if a, ok := e.ackOf(0); ok {
				how += fmt.Sprintf(" (written on machine %d %s before)", a.machine, time.Since(a.at).Round(time.Millisecond))
			}
			return "resurrected", f.Tier, fmt.Sprintf("frame %s (%d) was deleted%s, Get on machine %d returned it from %s (version %d)", e.id, e.idx, how, w.machine, f.Tier, f.Version)
		case err == nil:
			k := w.compare(e, f.Data, lo, hi)
			if k != "ok" {
				return k, f.Tier, fmt.Sprintf("frame %s (%d) rev %d..%d: %s copy version %d from %s", e.id, e.idx, lo, hi, k, f.Version, f.Tier)
			}
			return "ok", f.Tier, ""
		case errors.Is(err, tier.ErrNotFound) && (gone || maybeGone):
			return "gone", "", ""
		case errors.Is(err, tier.ErrNotFound):
			return "lost", "", fmt.Sprintf("frame %s (%d, session %s) lost: %v", e.id, e.idx, e.session, err)
		case errors.Is(err, tier.ErrCorrupt):
			return "corrupt", "", fmt.Sprintf("frame %s (%d): %v", e.id, e.idx, err)
		}
	}
	return "unreachable", "", fmt.Sprintf("frame %s (%d): %v", e.id, e.idx, err)
}
