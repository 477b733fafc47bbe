package tier_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

func TestDemotionKeepsTierWithinFrameLimit(t *testing.T) {
	// Replication off, so that every frame of tier 2 came by demotion.
	m, peek := memChain{durable: []bool{true, true, true}, limits: []tier.Limits{{MaxFrames: 10}, {MaxFrames: 15}},
		cfg: tier.Config{NoReplication: true}}.open(t)
	ctx := context.Background()
	var ids []string
	for i := range 40 {
		ids = append(ids, mustPut(t, m, frame("p", "", i)).ID)
	}
	rep, err := m.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Demoted != 30+15 {
		t.Fatalf("Maintain demoted %d frames, want 45 (30 out of tier 1, then 15 out of tier 2)", rep.Demoted)
	}
	for i, want := range []int64{10, 15, 15} {
		if u := usage(t, peek[i]); u.Frames != want {
			t.Fatalf("tier %d holds %d frames, want %d", i+1, u.Frames, want)
		}
	}
	for _, id := range ids {
		mustGet(t, m, id)
	}
}

func TestDemotionByBytesAndIdleTime(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxBytes: 500, MaxIdle: time.Hour}}}.open(t)
	ctx := context.Background()
	old := frame("p", "", 0)
	old.CreatedAt = time.Now().Add(-48 * time.Hour)
	o := mustPut(t, m, old)
	for i := range 20 {
		mustPut(t, m, frame("p", "", i+1))
	}
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, peek[0]); u.Bytes > 500 {
		t.Fatalf("tier 1 holds %d bytes, over its 500-byte limit", u.Bytes)
	}
	_ = o
}

func TestAGEPolicyDemotesOldestFirst(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 3}},
		cfg: tier.Config{EvictionStrategy: tier.AGE}}.open(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	var ids []string
	for i := range 5 {
		f := frame("p", "", i)
		f.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		ids = append(ids, mustPut(t, m, f).ID)
	}
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		_, inHot := held(t, peek[0], id)
		if inHot != (i >= 2) {
			t.Fatalf("frame %d (created %d min after the first) in tier 1 = %v; want the two oldest demoted", i, i, inHot)
		}
	}
}

func TestLRUPolicyKeepsRecentlyReadFrames(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 2}}}.open(t)
	ctx := context.Background()
	var ids []string
	for i := range 4 {
		ids = append(ids, mustPut(t, m, frame("p", "", i)).ID)
	}
	// A minute later, read the first frame: it becomes the most recently
	// used. (Reads within 30 s of the last recorded access are not
	// recorded again.)
	tier.SetClock(m, func() time.Time { return time.Now().Add(time.Minute) })
	mustGet(t, m, ids[0])
	if err := m.Close(); err != nil { // flushes the buffered reads
		t.Fatal(err)
	}
	m2 := reopen(t, peek, tier.Limits{MaxFrames: 2}, tier.LRU)
	if _, err := m2.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, peek[0], ids[0]); !ok {
		t.Fatal("the recently read frame was demoted; LRU must keep it")
	}
	if _, ok := held(t, peek[0], ids[1]); ok {
		t.Fatal("the least recently used frame stayed in tier 1")
	}
}

func TestWriteThroughWhenDemotingIntoACache(t *testing.T) {
	m, peek := memChain{durable: []bool{true, false, true}, limits: []tier.Limits{{MaxFrames: 1}}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, peek[1], a.ID); !ok {
		t.Fatal("demoted frame is not in the cache tier")
	}
	r, ok := held(t, peek[2], a.ID)
	if !ok || r.Version != a.Version || r.Checksum != a.Checksum {
		t.Fatal("demoting into a cache did not write the frame through to the durable tier below")
	}
	// The cache loses everything (TTL, eviction, restart): nothing is lost.
	if err := peek[1].Delete(ctx, a.ID, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, m, a.ID); string(got.Data) != string(a.Data) || got.Level != 3 {
		t.Fatalf("after the cache lost the frame, Get = %s from tier %d", got.Data, got.Level)
	}
}

func TestNoCacheIsTheOnlyCopy(t *testing.T) {
	m, peek := memChain{durable: []bool{true, false}, limits: []tier.Limits{{MaxFrames: 1}}}.open(t)
	ctx := context.Background()
	mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	rep, err := m.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Demoted != 0 || usage(t, peek[1]).Frames != 0 {
		t.Fatalf("frames were demoted into a cache with no durable tier below: %+v", rep)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stuck) != 1 || !strings.Contains(st.Stuck[0], "no durable tier") {
		t.Fatalf("Status.Stuck = %q, want the reason frames cannot move", st.Stuck)
	}
}

func TestFrameReadOftenComesBackToTierOne(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true, true}, limits: []tier.Limits{{MaxFrames: 1}, {MaxFrames: 1}},
		cfg: tier.Config{PromotionThreshold: 3}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	mustPut(t, m, frame("p", "", 3))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, peek[2], a.ID); !ok {
		t.Fatal("setup: the first frame did not reach tier 3")
	}
	// Tier 1 is full: the promotion makes room by evicting its frame,
	// which needs that frame's copy below.
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got := mustGet(t, m, a.ID); got.Level != 3 && i < 2 {
			t.Fatalf("read %d served from tier %d, want 3 before promotion", i+1, got.Level)
		}
	}
	if err := m.Close(); err != nil { // waits for the promotion
		t.Fatal(err)
	}
	if _, ok := held(t, peek[0], a.ID); !ok {
		t.Fatal("frame read 3 times (the threshold) did not come back to tier 1")
	}
	if _, ok := held(t, peek[2], a.ID); !ok {
		t.Fatal("promotion removed the durable copy below; it must stay")
	}
}

func TestRecentlyPromotedFrameIsNotDemotedAgain(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 1}},
		cfg: tier.Config{PromotionThreshold: 1, EvictionStrategy: tier.AGE}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// Tier 1 is full: the promotion makes room by evicting its frame,
	// which needs that frame's copy below.
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	mustGet(t, m, a.ID) // promotes (threshold 1), in the background
	waitFor(t, func() bool { _, ok := held(t, peek[0], a.ID); return ok })
	// a is the oldest frame: AGE would demote it first, but hysteresis
	// keeps it up for a promotion window.
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, peek[0], a.ID); !ok {
		t.Fatal("a frame promoted a moment ago bounced straight back down")
	}
}

func TestMigrateMovesSelectedFramesAndDryRunMovesNothing(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true, true}}.open(t)
	ctx := context.Background()
	var alpha []string
	for i := range 6 {
		alpha = append(alpha, mustPut(t, m, frame("alpha", "", i)).ID)
		mustPut(t, m, frame("beta", "", i))
	}
	dry, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3, ProjectID: "alpha", DryRun: true})
	if err != nil || dry.Selected != 6 || dry.Moved != 0 {
		t.Fatalf("dry run = %+v, %v; want 6 selected, none moved", dry, err)
	}
	if u := usage(t, peek[0]); u.Frames != 12 {
		t.Fatalf("dry run moved frames: tier 1 holds %d", u.Frames)
	}
	rep, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3, ProjectID: "alpha", Limit: 4})
	if err != nil || rep.Moved != 4 {
		t.Fatalf("Migrate = %+v, %v; want 4 moved", rep, err)
	}
	if got := usage(t, peek[2]).Frames; got != 4 {
		t.Fatalf("tier 3 holds %d frames, want 4", got)
	}
	for _, id := range alpha {
		mustGet(t, m, id)
	}
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 1}); !errors.Is(err, tier.ErrBadConfig) {
		t.Fatalf("Migrate up to tier 1 = %v, want ErrBadConfig", err)
	}
}

func TestWarmBringsASessionBack(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}}.open(t)
	ctx := context.Background()
	session := tier.NewID()
	var ids []string
	for i := range 5 {
		ids = append(ids, mustPut(t, m, frame("p", session, i)).ID)
	}
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	rep, err := m.Warm(ctx, tier.WarmOptions{SessionID: session})
	if err != nil || rep.Promoted != 5 {
		t.Fatalf("Warm = %+v, %v; want 5 promoted", rep, err)
	}
	for _, id := range ids {
		if _, ok := held(t, peek[0], id); !ok {
			t.Fatalf("frame %s of the warmed session is not in tier 1", id)
		}
		if got := mustGet(t, m, id); got.Level != 1 {
			t.Fatalf("warmed frame served from tier %d", got.Level)
		}
	}
}

func TestGetFromBelowPrefetchesParentChain(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}}.open(t)
	ctx := context.Background()
	root := mustPut(t, m, frame("p", "", 0))
	child := frame("p", "", 1)
	child.ParentID = root.ID
	c := mustPut(t, m, child)
	grandchild := frame("p", "", 2)
	grandchild.ParentID = c.ID
	g := mustPut(t, m, grandchild)
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, m, g.ID); got.Level != 2 {
		t.Fatalf("setup: grandchild served from tier %d", got.Level)
	}
	if err := m.Close(); err != nil { // waits for the pre-fetch
		t.Fatal(err)
	}
	for _, id := range []string{c.ID, root.ID} {
		if _, ok := held(t, peek[0], id); !ok {
			t.Fatalf("ancestor %s was not pre-fetched into tier 1", id)
		}
	}
}

// Without replication, nothing else replaces an older copy below: Compact
// removes it.
func TestCompactRemovesStaleCopies(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, cfg: tier.Config{NoReplication: true}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, m, a.ID)
	if _, err := m.Warm(ctx, tier.WarmOptions{ProjectID: "p"}); err != nil {
		t.Fatal(err)
	}
	a.Data = []byte(`{"task":"rewritten"}`)
	mustPut(t, m, a) // tier 1 now newer than tier 2's copy
	rep, err := m.Compact(ctx)
	if err != nil || rep.StaleRemoved != 1 {
		t.Fatalf("Compact = %+v, %v; want one stale copy removed", rep, err)
	}
	if _, ok := held(t, peek[1], a.ID); ok {
		t.Fatal("stale copy still in tier 2")
	}
	if got := mustGet(t, m, a.ID); string(got.Data) != `{"task":"rewritten"}` {
		t.Fatalf("Get after Compact = %s", got.Data)
	}
}

// A cache copy of the version tier 1 holds is a replica other machines
// read: Compact keeps it and does not count it as stale.
func TestCompactKeepsReplicasInTheCache(t *testing.T) {
	m, peek := memChain{durable: []bool{true, false, true}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, peek[1], a.ID); !ok {
		t.Fatal("setup: the frame was not replicated to the cache")
	}
	rep, err := m.Compact(ctx)
	if err != nil || rep.StaleRemoved != 0 {
		t.Fatalf("Compact = %+v, %v; want nothing stale", rep, err)
	}
	for level, p := range peek {
		if _, ok := held(t, p, a.ID); !ok {
			t.Fatalf("Compact removed the replica in tier %d", level+1)
		}
	}
}

// An older copy below a frame queued for replication stays: the newer
// version is on its way, and until it lands the older copy is what other
// machines can read; removed, the frame would look deleted to them.
func TestCompactKeepsTheOlderCopyOfAFrameQueuedForReplication(t *testing.T) {
	m, peek := memChain{durable: []bool{true, false, true}, cfg: tier.Config{ReplicationLag: time.Hour}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	a.Data = []byte(`{"task":"rewritten"}`)
	a = mustPut(t, m, a) // queued for replication, not copied yet
	rep, err := m.Compact(ctx)
	if err != nil || rep.StaleRemoved != 0 {
		t.Fatalf("Compact = %+v, %v; want nothing removed while the update is queued", rep, err)
	}
	for _, level := range []int{2, 3} {
		if _, ok := held(t, peek[level-1], a.ID); !ok {
			t.Fatalf("Compact removed tier %d's copy of a frame queued for replication", level)
		}
	}
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, ok := held(t, peek[2], a.ID); !ok || got.Version != a.Version {
		t.Fatalf("after replication tier 3 holds version %d (%v), want %d", got.Version, ok, a.Version)
	}
}

// waitFor polls cond for up to 10 seconds: for background work whose end
// the test cannot otherwise observe. It is not a timing assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached within 10s")
}

func TestFramesAreCompressedOnceOnTheWayDown(t *testing.T) {
	m, peek := memChain{durable: []bool{true, false, true}}.open(t)
	ctx := context.Background()
	doc := `{"log":"` + strings.Repeat("go test ./... ok ", 200) + `"}`
	a := mustPut(t, m, tier.Frame{Data: []byte(doc)})
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	warm, _ := held(t, peek[1], a.ID)
	cold, _ := held(t, peek[2], a.ID)
	if warm.Compressed == nil || string(warm.Compressed) != string(cold.Compressed) {
		t.Fatal("the cache and the archive were not handed the same compressed bytes")
	}
	st, err := m.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.CompressedBytes != int64(len(doc)) || st.BytesSaved <= int64(len(doc))/2 {
		t.Fatalf("Stats: compressed %d bytes, saved %d; want %d compressed and most of it saved",
			st.CompressedBytes, st.BytesSaved, len(doc))
	}
}

func TestADamagedCopyDoesNotBlockTheOthersMoving(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}}.open(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		ids = append(ids, mustPut(t, m, frame("p", "", i)).ID)
	}
	peek[0].Corrupt(ids[2], []byte(`{"damaged":true}`))
	rep, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2})
	if err != nil || rep.Moved != 4 {
		t.Fatalf("Migrate with one damaged copy = %+v, %v; want the 4 sound frames moved", rep, err)
	}
	if _, ok := held(t, peek[1], ids[2]); ok {
		t.Fatal("a damaged copy was moved")
	}
}

func TestOneMoverPerStateFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *tier.Manager {
		cfg := config.Default()
		cfg.SQLite.Path = filepath.Join(dir, "frames.db")
		cfg.BackgroundSync = new(bool)
		m, err := config.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	a, b := open(), open()
	f := mustPut(t, a, frame("p", "", 1))
	// b sees a's frame: both processes share frames.db.
	mustGet(t, b, f.ID)
	started := make(chan struct{})
	release := make(chan struct{})
	go func() {
		// Hold a's lease by running Maintain while b tries.
		tier.HoldLease(a, started, release)
	}()
	<-started
	if _, err := b.Maintain(ctx); !errors.Is(err, tier.ErrBusy) {
		t.Fatalf("second process Maintain while the first moves = %v, want ErrBusy", err)
	}
	close(release)
}
