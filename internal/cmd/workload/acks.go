package main

import (
	"fmt"
	"time"
)

// deletedRev stands for a delete in an entry's acknowledgements.
const deletedRev = -1

// ack is when a machine's write of one revision of a frame returned.
type ack struct {
	rev     int
	machine int
	at      time.Time
}

// acked records that machine's write of rev (deletedRev for a delete)
// returned now.
func (e *entry) acked(rev, machine int) {
	e.ackMu.Lock()
	defer e.ackMu.Unlock()
	e.acks = append(e.acks, ack{rev: rev, machine: machine, at: time.Now()})
}

// ackOf returns the acknowledgement of rev.
func (e *entry) ackOf(rev int) (ack, bool) {
	e.ackMu.Lock()
	defer e.ackMu.Unlock()
	for _, a := range e.acks {
		if a.rev == rev {
			return a, true
		}
	}
	return ack{}, false
}

// othersWithin reports whether rev was written by another machine than
// reader, and returned less than bound before t: a read on reader at t
// may not see it yet. A write of unknown outcome (no acknowledgement yet)
// counts as within the bound.
func (e *entry) othersWithin(rev, reader int, t time.Time, bound time.Duration) bool {
	a, ok := e.ackOf(rev)
	if !ok {
		return true
	}
	return a.machine != reader && t.Sub(a.at) < bound
}

// staleAge returns, for a read at t that returned revision got of e, how
// long before t the next revision was acknowledged and by which machine;
// ok is false when that is not known.
func (e *entry) staleAge(got int, t time.Time) (age time.Duration, machine int, ok bool) {
	a, found := e.ackOf(got + 1)
	if !found {
		return 0, 0, false
	}
	return t.Sub(a.at), a.machine, true
}

// revisionOf returns the revision of e whose document is data, searching
// down from hi, or -1.
func (w *workload) revisionOf(e *entry, data []byte, hi int) int {
	for rev := hi; rev >= 0 && rev >= hi-32; rev-- {
		if string(data) == string(w.model.document(e, rev)) {
			return rev
		}
	}
	return -1
}

// staleKind judges a Get at start that returned an older revision than
// lo: "stale-within-bound" when the revision after it was written by
// another machine less than the bound before, "stale" otherwise. Stale
// ages are kept in the counters.
func (w *workload) staleKind(e *entry, data []byte, lo int, start time.Time) string {
	got := w.revisionOf(e, data, lo)
	if got < 0 {
		return "stale"
	}
	age, machine, ok := e.staleAge(got, start)
	if !ok {
		return "stale"
	}
	w.c.staleRead(age)
	if machine != w.machine && age < w.bound {
		return "stale-within-bound"
	}
	if machine == w.machine {
		w.c.sample(fmt.Sprintf("Get %s (frame %d) on machine %d returned rev %d after this machine wrote rev %d %s before",
			e.id, e.idx, w.machine, got, got+1, age.Round(time.Millisecond)))
		return "stale"
	}
	w.c.sample(fmt.Sprintf("Get %s (frame %d) on machine %d returned rev %d, %s after machine %d's write of rev %d returned",
		e.id, e.idx, w.machine, got, age.Round(time.Millisecond), machine, got+1))
	return "stale"
}
