package tier_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/memdriver"
	"pgregory.net/rapid"
)

// Limits win (issue 10): a tier over its limits gets back under them
// whatever was read, copies brought up hold a bounded share of tier 1, and
// a copy is never brought up into a full tier unless a frame with its
// copies below in place makes room.

// frozenAt is the time of the tests' frozen clocks.
var frozenAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// putAged puts n frames of session, created one minute apart starting at
// from, and returns them as stored.
func putAged(t *testing.T, m *tier.Manager, session string, from time.Time, n int) []tier.Frame {
	t.Helper()
	out := make([]tier.Frame, n)
	for i := range n {
		f := frame("limits", session, i)
		f.Data = fmt.Appendf(nil, `{"task":"step %d of %s","outputs":{"files":["f%d.go"]}}`, i, session, i)
		f.CreatedAt = from.Add(time.Duration(i) * time.Minute)
		out[i] = mustPut(t, m, f)
	}
	return out
}

// readAllByteForByte fails unless every frame reads back as stored.
func readAllByteForByte(t *testing.T, m *tier.Manager, frames ...[]tier.Frame) {
	t.Helper()
	for _, fs := range frames {
		for _, f := range fs {
			got := mustGet(t, m, f.ID)
			if !bytes.Equal(got.Data, f.Data) || got.Version != f.Version {
				t.Fatalf("frame %s reads %s (version %d); want %s (version %d)", f.ID, got.Data, got.Version, f.Data, f.Version)
			}
		}
	}
}

// TestStalledDemotionLimitsWin is the stall of issue 10, with a frozen
// clock: under AGE the oldest frames are demoted first, and every one of
// them has just been brought back by Warm, so the first candidates are all
// protected by the promotion window. The tier must still get back within
// its limit in one maintenance cycle, and every frame stays readable.
func TestStalledDemotionLimitsWin(t *testing.T) {
	const limit = 20
	m, peek := memChain{
		durable: []bool{true, true},
		limits:  []tier.Limits{{MaxFrames: limit}},
		cfg:     tier.Config{EvictionStrategy: tier.AGE, BroughtUpShare: 1},
	}.open(t)
	tier.SetClock(m, func() time.Time { return frozenAt })
	ctx := context.Background()

	old := putAged(t, m, tier.NewID(), frozenAt.Add(-48*time.Hour), 2*limit)
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	if n := usage(t, peek[0]).Frames; n != 0 {
		t.Fatalf("tier 1 holds %d frames after migrating everything to tier 2", n)
	}
	// A cycle measures tier 1 (see TestWarmRightAfterMigrate).
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := m.Warm(ctx, tier.WarmOptions{SessionID: old[0].SessionID, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Promoted != limit {
		t.Fatalf("Warm brought up %d frames; want %d (the whole of tier 1, BroughtUpShare 1)", rep.Promoted, limit)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiers[0].Protected != limit {
		t.Fatalf("Status says %d protected copies; want %d", st.Tiers[0].Protected, limit)
	}
	fresh := putAged(t, m, tier.NewID(), frozenAt.Add(-time.Hour), limit/2)
	if n := usage(t, peek[0]).Frames; n != limit+limit/2 {
		t.Fatalf("tier 1 holds %d frames before maintenance; want %d", n, limit+limit/2)
	}

	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// Brought back to 95 % of the limit, rounded up.
	if n := usage(t, peek[0]).Frames; n > 19 {
		t.Fatalf("tier 1 holds %d frames after one maintenance cycle; want at most 19 (95%% of its limit of %d): demotion stalled on protected copies", n, limit)
	}
	st, err = m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := st.Tiers[0].Backlog; b != 0 {
		t.Errorf("Status.Tiers[0].Backlog = %d after maintenance; want 0", b)
	}
	readAllByteForByte(t, m, old, fresh)
}

// TestBroughtUpCopiesHoldTheirShare: Warm, promotion and pre-fetch
// together never hold more than BroughtUpShare of tier 1's limits.
func TestBroughtUpCopiesHoldTheirShare(t *testing.T) {
	const limit, share = 20, 0.25 // 5 copies
	m, peek := memChain{
		durable: []bool{true, true},
		limits:  []tier.Limits{{MaxFrames: limit}},
		cfg:     tier.Config{BroughtUpShare: share, PromotionThreshold: 1},
	}.open(t)
	ctx := context.Background()
	session := tier.NewID()
	frames := putAged(t, m, session, frozenAt.Add(-48*time.Hour), 40)
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Maintain(ctx); err != nil { // measures tier 1
		t.Fatal(err)
	}
	rep, err := m.Warm(ctx, tier.WarmOptions{SessionID: session, Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Promoted != 5 {
		t.Errorf("Warm of 40 frames brought up %d; want 5 (BroughtUpShare %.2f of %d frames)", rep.Promoted, share, limit)
	}
	// Every read below now asks for a promotion and a pre-fetch.
	for _, f := range frames {
		if _, err := m.Get(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiers[0].BroughtUp > 5 {
		t.Errorf("Status says %d copies brought up; want at most 5", st.Tiers[0].BroughtUp)
	}
	if err := m.Close(); err != nil { // waits for promotions and pre-fetches
		t.Fatal(err)
	}
	if n := usage(t, peek[0]).Frames; n > 5 {
		t.Fatalf("tier 1 holds %d copies brought up; want at most 5 (BroughtUpShare %.2f of %d frames)", n, share, limit)
	}
}

// fillTierOne puts limit frames of one session, then limit newer frames
// of another, and demotes (AGE) the older session: tier 1 is left full
// with the newer one. It returns the demoted and the resident frames.
func fillTierOne(t *testing.T, m *tier.Manager, peek []*memdriver.Tier, limit int) (below, resident []tier.Frame) {
	t.Helper()
	ctx := context.Background()
	below = putAged(t, m, tier.NewID(), frozenAt.Add(-48*time.Hour), limit)
	resident = putAged(t, m, tier.NewID(), frozenAt.Add(-24*time.Hour), limit)
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := usage(t, peek[0]).Frames; n != int64(limit) {
		t.Fatalf("tier 1 holds %d frames after maintenance; want %d (95%% of %d, rounded up)", n, limit, limit)
	}
	return below, resident
}

// TestBringUpIntoAFullTierEvictsAReplicatedFrame: with tier 1 full, a
// frame comes up only when a frame whose copies below are in place leaves
// first (a local delete); without replication, nothing comes up.
func TestBringUpIntoAFullTierEvictsAReplicatedFrame(t *testing.T) {
	const limit = 10
	for _, replicated := range []bool{true, false} {
		t.Run(fmt.Sprintf("replicated=%v", replicated), func(t *testing.T) {
			m, peek := memChain{
				durable: []bool{true, true},
				limits:  []tier.Limits{{MaxFrames: limit}},
				cfg: tier.Config{EvictionStrategy: tier.AGE, BroughtUpShare: 1, NoReplication: !replicated,
					ReplicationLag: 20 * time.Millisecond},
			}.open(t)
			ctx := context.Background()
			below, resident := fillTierOne(t, m, peek, limit)
			if replicated {
				waitFor(t, func() bool {
					for _, f := range resident {
						if _, ok := held(t, peek[1], f.ID); !ok {
							return false
						}
					}
					return true
				})
			}
			rep, err := m.Warm(ctx, tier.WarmOptions{SessionID: below[0].SessionID, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if n := usage(t, peek[0]).Frames; n > limit {
				t.Fatalf("tier 1 holds %d frames after Warm; want at most its limit %d", n, limit)
			}
			wantUp := 0
			if replicated {
				wantUp = 3
			}
			if rep.Promoted != wantUp {
				t.Fatalf("Warm into a full tier 1 brought up %d frames; want %d", rep.Promoted, wantUp)
			}
			left := 0
			for _, f := range resident {
				if _, ok := held(t, peek[0], f.ID); !ok {
					left++
					if _, ok := held(t, peek[1], f.ID); !ok {
						t.Fatalf("frame %s left tier 1 to make room but tier 2 has no copy", f.ID)
					}
				}
			}
			if left != wantUp {
				t.Errorf("%d resident frames left tier 1 to make room for %d copies; want %d", left, wantUp, wantUp)
			}
			readAllByteForByte(t, m, below, resident)
		})
	}
}

// TestBringUpAfterRestartRespectsAFullTier: a new process over a tier 1
// that is already full must not bring copies up over its limit before
// its first maintenance cycle has measured the tier.
func TestBringUpAfterRestartRespectsAFullTier(t *testing.T) {
	const limit = 10
	m, peek := memChain{
		durable: []bool{true, true},
		limits:  []tier.Limits{{MaxFrames: limit}},
		cfg:     tier.Config{EvictionStrategy: tier.AGE, BroughtUpShare: 1, NoReplication: true},
	}.open(t)
	below, resident := fillTierOne(t, m, peek, limit)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = reopen(t, peek, tier.Limits{MaxFrames: limit}, tier.AGE)
	rep, err := m.Warm(context.Background(), tier.WarmOptions{SessionID: below[0].SessionID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if n := usage(t, peek[0]).Frames; n > limit {
		t.Fatalf("a new manager brought %d copies up into a full tier 1, which now holds %d frames; want at most its limit %d",
			rep.Promoted, n, limit)
	}
	readAllByteForByte(t, m, below, resident)
}

// TestWarmRightAfterMigrate: once Migrate has emptied tier 1, Warm can
// bring a session back at once, without waiting for a maintenance cycle.
func TestWarmRightAfterMigrate(t *testing.T) {
	m, peek := memChain{
		durable: []bool{true, true},
		limits:  []tier.Limits{{MaxFrames: 20}},
		cfg:     tier.Config{BroughtUpShare: 0.5},
	}.open(t)
	ctx := context.Background()
	frames := putAged(t, m, tier.NewID(), frozenAt.Add(-48*time.Hour), 30)
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	rep, err := m.Warm(ctx, tier.WarmOptions{SessionID: frames[0].SessionID, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Promoted != 5 || usage(t, peek[0]).Frames != 5 {
		t.Fatalf("Warm of 5 frames into an empty tier 1 (limit 20) right after Migrate brought up %d (tier 1 holds %d); want 5",
			rep.Promoted, usage(t, peek[0]).Frames)
	}
}

// TestNoPromotionAndNoPrefetch: with both off, reads from tier 2 bring
// nothing up; with both on, the same reads do.
func TestNoPromotionAndNoPrefetch(t *testing.T) {
	for _, c := range []struct {
		name                    string
		noPromotion, noPrefetch bool
		wantUp                  func(n int64) bool
		want                    string
	}{
		{"both-off", true, true, func(n int64) bool { return n == 0 }, "none"},
		{"promotion-only", false, true, func(n int64) bool { return n == 1 }, "the frame read"},
		{"prefetch-only", true, false, func(n int64) bool { return n >= 2 }, "its parent and session, not the frame read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, peek := memChain{
				durable: []bool{true, true},
				cfg:     tier.Config{PromotionThreshold: 1, NoPromotion: c.noPromotion, NoPrefetch: c.noPrefetch},
			}.open(t)
			ctx := context.Background()
			session := tier.NewID()
			parent := mustPut(t, m, frame("limits", session, 0))
			f := frame("limits", session, 1)
			f.ParentID = parent.ID
			f.CreatedAt = time.Now().Add(time.Minute)
			child := mustPut(t, m, f)
			sibling := frame("limits", session, 2)
			sibling.CreatedAt = time.Now().Add(-time.Minute)
			mustPut(t, m, sibling)
			if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if got := mustGet(t, m, child.ID); got.Level != 2 && c.noPromotion {
					t.Fatalf("with NoPromotion the frame was read from tier %d; want 2", got.Level)
				}
			}
			if err := m.Close(); err != nil { // waits for background work
				t.Fatal(err)
			}
			n := usage(t, peek[0]).Frames
			if !c.wantUp(n) {
				t.Fatalf("tier 1 holds %d frames after reading a tier-2 frame three times; want %s", n, c.want)
			}
			_, childUp := held(t, peek[0], child.ID)
			if childUp == c.noPromotion {
				t.Fatalf("frame read is in tier 1: %v; want %v with NoPromotion %v", childUp, !c.noPromotion, c.noPromotion)
			}
		})
	}
}

// TestPropertyLimitsHoldAndNothingIsLost runs random sequences of puts,
// updates, reads (which promote and pre-fetch), Warm and maintenance on a
// chain durable → cache → durable with tiny limits. After each
// maintenance every tier but the last is within its limits (frames and
// bytes), and every read returns the newest document of its frame.
//
// A maintenance step closes the manager first (which flushes replication
// and waits for background promotions and pre-fetches) and opens a new
// one, so nothing runs behind the check; replication otherwise waits for
// Close (ReplicationLag of an hour). With replication on, the first cycle
// of the new manager queues the tier-1 frames the cache no longer holds
// and replication writes them back into it at once: the cache may then be
// over its limits until the next cycle, so only tier 1 is checked.
func TestPropertyLimitsHoldAndNothingIsLost(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		stores := []*memdriver.Tier{memdriver.New(true), memdriver.New(false), memdriver.New(true)}
		limits := []tier.Limits{{MaxFrames: 5, MaxBytes: 400}, {MaxFrames: 8, MaxBytes: 700}}
		cfg := tier.Config{
			ManualMaintenance: true, PromotionThreshold: rapid.IntRange(1, 3).Draw(rt, "threshold"),
			BroughtUpShare:   rapid.SampledFrom([]float64{0.2, 0.5, 1}).Draw(rt, "share"),
			EvictionStrategy: rapid.SampledFrom([]tier.Policy{tier.LRU, tier.LFU, tier.AGE}).Draw(rt, "policy"),
			ReplicationLag:   time.Hour, BreakerCooldown: time.Nanosecond, Logger: propertyLogger(),
			NoReplication: rapid.Bool().Draw(rt, "noReplication"),
		}
		open := func() *tier.Manager {
			var specs []tier.TierSpec
			for i, s := range stores {
				h, _ := s.Reopen()
				spec := tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: h}
				if i < len(limits) {
					spec.Limits = limits[i]
				}
				specs = append(specs, spec)
			}
			m, err := tier.New(ctx, cfg, specs...)
			if err != nil {
				rt.Fatal(err)
			}
			return m
		}
		m := open()
		defer func() { _ = m.Close() }()
		sessions := []string{tier.NewID(), tier.NewID(), tier.NewID()}
		model := map[string]string{} // id -> newest document
		var ids []string
		pick := func() string { return rapid.SampledFrom(ids).Draw(rt, "id") }
		doc := func(rt *rapid.T) string {
			return fmt.Sprintf(`{"task":"%s","n":%d}`, strings.Repeat("x", rapid.IntRange(0, 60).Draw(rt, "pad")),
				rapid.IntRange(0, 1e6).Draw(rt, "n"))
		}
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				f := tier.Frame{ProjectID: "p", SessionID: rapid.SampledFrom(sessions).Draw(rt, "session"), Data: []byte(doc(rt))}
				if len(ids) > 0 && rapid.Bool().Draw(rt, "child") {
					f.ParentID = pick()
				}
				out, err := m.Put(ctx, f)
				if err != nil {
					rt.Fatalf("Put: %v", err)
				}
				model[out.ID] = string(f.Data)
				ids = append(ids, out.ID)
			},
			"update": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				id, d := pick(), doc(rt)
				if _, err := m.UpdateData(ctx, id, []byte(d)); err != nil {
					rt.Fatalf("UpdateData(%s): %v", id, err)
				}
				model[id] = d
			},
			"read": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				id := pick()
				f, err := m.Get(ctx, id)
				if err != nil || string(f.Data) != model[id] {
					rt.Fatalf("Get(%s) = %s, %v; want %s", id, f.Data, err, model[id])
				}
			},
			"warm": func(rt *rapid.T) {
				if _, err := m.Warm(ctx, tier.WarmOptions{SessionID: rapid.SampledFrom(sessions).Draw(rt, "session"),
					Limit: rapid.IntRange(1, 10).Draw(rt, "limit")}); err != nil {
					rt.Fatalf("Warm: %v", err)
				}
			},
			"maintain": func(rt *rapid.T) {
				if err := m.Close(); err != nil {
					rt.Fatalf("Close: %v", err)
				}
				m = open()
				if _, err := m.Maintain(ctx); err != nil {
					rt.Fatalf("Maintain: %v", err)
				}
				for i, lim := range limits {
					if i > 0 && !cfg.NoReplication {
						break
					}
					u, err := stores[i].Usage(ctx)
					if err != nil {
						rt.Fatal(err)
					}
					if u.Frames > lim.MaxFrames || u.Bytes > lim.MaxBytes {
						rt.Fatalf("after maintenance tier %d holds %d frames, %d bytes; its limits are %d frames, %d bytes",
							i+1, u.Frames, u.Bytes, lim.MaxFrames, lim.MaxBytes)
					}
				}
			},
			"": func(rt *rapid.T) {
				for _, id := range ids {
					f, err := m.Get(ctx, id)
					if err != nil {
						rt.Fatalf("frame %s lost: %v", id, err)
					}
					if string(f.Data) != model[id] {
						rt.Fatalf("frame %s = %s from tier %d; want %s (stale)", id, f.Data, f.Level, model[id])
					}
				}
			},
		})
	})
}

// TestDemotingAReplicatedFrameIsALocalDelete: once tier 2 holds a frame at
// its version, demoting it from tier 1 writes nothing below; Stats counts
// it as an eviction.
func TestDemotingAReplicatedFrameIsALocalDelete(t *testing.T) {
	m, peek := memChain{
		durable: []bool{true, true},
		limits:  []tier.Limits{{MaxFrames: 5}},
		cfg:     tier.Config{ReplicationLag: 20 * time.Millisecond},
	}.open(t)
	ctx := context.Background()
	frames := putAged(t, m, tier.NewID(), frozenAt.Add(-time.Hour), 10)
	waitFor(t, func() bool {
		for _, f := range frames {
			if _, ok := held(t, peek[1], f.ID); !ok {
				return false
			}
		}
		return true
	})
	rep, err := m.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Demoted != 5 {
		t.Fatalf("Maintain demoted %d frames; want 5", rep.Demoted)
	}
	st, err := m.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Evictions != 5 {
		t.Errorf("Stats.Evictions = %d after demoting 5 replicated frames; want 5 (local deletes)", st.Evictions)
	}
	for _, f := range frames {
		r, ok := held(t, peek[1], f.ID)
		if !ok || r.Version != f.Version {
			t.Fatalf("tier 2 holds frame %s: %v, version %d; want version %d", f.ID, ok, r.Version, f.Version)
		}
	}
	readAllByteForByte(t, m, frames)
}

// TestPrefetchBringsABoundedNeighbourhood: a read from tier 2 pre-fetches
// at most 8 ancestors and the 8 frames of its session created just before
// it, never the whole session.
func TestPrefetchBringsABoundedNeighbourhood(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, cfg: tier.Config{NoPromotion: true}}.open(t)
	ctx := context.Background()
	// A chain of 12 ancestors in a session of their own.
	var ancestors []tier.Frame
	parent := ""
	for i := range 12 {
		f := frame("prefetch", "", i)
		f.SessionID = "01900000-0000-7000-8000-000000000001"
		f.ParentID = parent
		f.CreatedAt = frozenAt.Add(-48*time.Hour + time.Duration(i)*time.Minute)
		ancestors = append(ancestors, mustPut(t, m, f))
		parent = ancestors[i].ID
	}
	// The frame read, after 20 frames of its own session.
	session := tier.NewID()
	earlier := putAged(t, m, session, frozenAt.Add(-24*time.Hour), 20)
	f := frame("prefetch", session, 99)
	f.ParentID = parent
	f.CreatedAt = frozenAt.Add(-time.Hour)
	read := mustPut(t, m, f)
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, m, read.ID); got.Level != 2 {
		t.Fatalf("setup: the frame was read from tier %d; want 2", got.Level)
	}
	if err := m.Close(); err != nil { // waits for the pre-fetch
		t.Fatal(err)
	}
	up := func(fs []tier.Frame) (ids []int) {
		for i, f := range fs {
			if _, ok := held(t, peek[0], f.ID); ok {
				ids = append(ids, i)
			}
		}
		return ids
	}
	wantAncestors := []int{4, 5, 6, 7, 8, 9, 10, 11} // the 8 nearest
	wantSession := []int{12, 13, 14, 15, 16, 17, 18, 19}
	if got := up(ancestors); fmt.Sprint(got) != fmt.Sprint(wantAncestors) {
		t.Errorf("ancestors pre-fetched: %v; want the 8 nearest, %v", got, wantAncestors)
	}
	if got := up(earlier); fmt.Sprint(got) != fmt.Sprint(wantSession) {
		t.Errorf("session frames pre-fetched: %v; want the 8 created just before the frame read, %v", got, wantSession)
	}
	if _, ok := held(t, peek[0], read.ID); ok {
		t.Error("the frame read came up with NoPromotion")
	}
}

// TestPutOverTheLimitWakesMaintenance: with background maintenance on and
// a sync interval of an hour, writes that take tier 1 over its limit
// start a cycle that brings it back.
func TestPutOverTheLimitWakesMaintenance(t *testing.T) {
	ctx := context.Background()
	var specs []tier.TierSpec
	hot := memdriver.New(true)
	for i, s := range []*memdriver.Tier{hot, memdriver.New(true)} {
		spec := tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: s}
		if i == 0 {
			spec.Limits = tier.Limits{MaxFrames: 10}
		}
		h, _ := s.Reopen()
		spec.Tier = h
		specs = append(specs, spec)
	}
	m, err := tier.New(ctx, tier.Config{SyncInterval: time.Hour, Logger: propertyLogger()}, specs...)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// The first cycle comes on its own, soon after the start.
	waitFor(t, func() bool { st, err := m.Stats(ctx); return err == nil && st.BackgroundTime > 0 })
	frames := putAged(t, m, tier.NewID(), frozenAt, 30)
	waitFor(t, func() bool { return usage(t, hot).Frames <= 10 })
	readAllByteForByte(t, m, frames)
}
