package tier_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/faultproxy"
	"github.com/stackmemoryai/tier/internal/memdriver"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
	_ "github.com/stackmemoryai/tier/sqlitedriver"
	"pgregory.net/rapid"
)

// Shared between machines (issue 11): two managers, each with a SQLite
// file of its own as tier 1, sharing one Redis (a cache) and one
// PostgreSQL. What a machine writes reaches the other once replication
// ran; a copy one machine brought up is not served once the other has
// superseded or deleted the frame. Waits are bounded polls (sharedWait),
// never what a test asserts.

// sharedWait bounds how long a test waits for replication and change
// notification to reach the other machine.
const sharedWait = 15 * time.Second

// sharedServices are the URLs of the tiers two machines share.
type sharedServices struct {
	redis, postgres string
}

func newSharedServices(t *testing.T) sharedServices {
	t.Helper()
	return sharedServices{redis: testenv.RedisTierURL(t), postgres: testenv.PostgresURL(t)}
}

// machineConfig is the configuration of one machine: its own SQLite file
// and state file in dir, then the shared Redis and PostgreSQL.
func machineConfig(dir string, s sharedServices) tier.Config {
	hot := (&url.URL{Scheme: "sqlite", Path: filepath.Join(dir, "frames.db")}).String()
	return tier.Config{
		Tiers: []tier.TierSpec{
			{Name: "sqlite", URL: hot},
			{Name: "redis", URL: s.redis},
			{Name: "postgres", URL: s.postgres},
		},
		StatePath:         filepath.Join(dir, "state.db"),
		ManualMaintenance: true,
		ReplicationLag:    50 * time.Millisecond,
		BreakerCooldown:   20 * time.Millisecond,
		Logger:            propertyLogger(),
	}
}

// twoMachines opens machines A and B, each with a SQLite file and a state
// file of its own, over one Redis and one PostgreSQL.
func twoMachines(t *testing.T) (a, b *tier.Manager) {
	t.Helper()
	s := newSharedServices(t)
	return openMachine(t, machineConfig(t.TempDir(), s)), openMachine(t, machineConfig(t.TempDir(), s))
}

// putSeenOnB writes n frames of session (none when empty) on a, and waits
// until b reads each of them.
func putSeenOnB(t *testing.T, a, b *tier.Manager, session string, n int) []tier.Frame {
	t.Helper()
	var frames []tier.Frame
	for i := range n {
		frames = append(frames, mustPut(t, a, frame("shared", session, i)))
	}
	for _, f := range frames {
		eventually(t, func() (bool, string) { return reads(b, f.ID, f.Data, f.Version) })
	}
	return frames
}

// openMachine opens a manager with cfg, closed when the test ends.
func openMachine(t *testing.T, cfg tier.Config) *tier.Manager {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := tier.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// eventually polls cond until it holds, for at most sharedWait; what is
// still wrong then is reported by cond's last message.
func eventually(t *testing.T, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(sharedWait)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still after %s: %s", sharedWait, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reads reports whether m returns data (and version, when not zero) for
// id, and what it returned otherwise.
func reads(m *tier.Manager, id string, data []byte, version uint64) (bool, string) {
	f, err := m.Get(context.Background(), id)
	if err != nil {
		return false, fmt.Sprintf("Get(%s): %v", id, err)
	}
	if !bytes.Equal(f.Data, data) || (version != 0 && f.Version != version) {
		return false, fmt.Sprintf("Get(%s) = %s (version %d, tier %d); want %s (version %d)", id, f.Data, f.Version, f.Level, data, version)
	}
	return true, ""
}

func TestSharedFramePutOnAIsReadOnB(t *testing.T) {
	a, b := twoMachines(t)
	// While A runs: once its replication ran.
	putSeenOnB(t, a, b, tier.NewID(), 10)
	// A short-lived process: Close leaves nothing behind.
	var frames []tier.Frame
	for i := range 10 {
		frames = append(frames, mustPut(t, a, frame("shared", "", i)))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if ok, why := reads(b, f.ID, f.Data, f.Version); !ok {
			t.Fatalf("after A closed: %s", why)
		}
	}
}

func TestSharedUpdateOnAIsWhatBReturns(t *testing.T) {
	a, b := twoMachines(t)
	ctx := context.Background()
	session := tier.NewID()
	frames := putSeenOnB(t, a, b, session, 10)
	// B brings the session up into its own tier 1.
	if _, err := b.Warm(ctx, tier.WarmOptions{SessionID: session}); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if got := mustGet(t, b, f.ID); got.Level != 1 {
			t.Fatalf("setup: B reads %s from tier %d after Warm; want its tier 1", f.ID, got.Level)
		}
	}
	var updated []tier.Frame
	for i, f := range frames {
		u, err := a.UpdateData(ctx, f.ID, fmt.Appendf(nil, `{"task":"updated on A","n":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		updated = append(updated, u)
	}
	for _, u := range updated {
		eventually(t, func() (bool, string) { return reads(b, u.ID, u.Data, u.Version) })
	}
	// Once B saw the newer version, it never goes back.
	for range 3 {
		for _, u := range updated {
			if ok, why := reads(b, u.ID, u.Data, u.Version); !ok {
				t.Fatalf("B went back to an older version: %s", why)
			}
		}
	}
}

func TestSharedDeleteOnAStopsBServingItsCopy(t *testing.T) {
	a, b := twoMachines(t)
	ctx := context.Background()
	session := tier.NewID()
	frames := putSeenOnB(t, a, b, session, 5)
	if _, err := b.Warm(ctx, tier.WarmOptions{SessionID: session}); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := a.Delete(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range frames {
		eventually(t, func() (bool, string) {
			got, err := b.Get(ctx, f.ID)
			if errors.Is(err, tier.ErrNotFound) {
				return true, ""
			}
			return false, fmt.Sprintf("B still serves frame %s deleted on A: %s (tier %d), %v", f.ID, got.Data, got.Level, err)
		})
	}
}

func TestSharedConcurrentUpdatesHigherVersionWins(t *testing.T) {
	s := newSharedServices(t)
	a := openMachine(t, machineConfig(t.TempDir(), s))
	b := openMachine(t, machineConfig(t.TempDir(), s))
	ctx := context.Background()
	frames := putSeenOnB(t, a, b, "", 10)
	// Both machines update every frame at the same time.
	winners := make([]tier.Frame, len(frames))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, m := range map[string]*tier.Manager{"A": a, "B": b} {
		wg.Go(func() {
			for i, f := range frames {
				u, err := m.UpdateData(ctx, f.ID, fmt.Appendf(nil, `{"task":"updated on %s","n":%d}`, name, i))
				if err != nil {
					t.Errorf("UpdateData on %s: %v", name, err)
					return
				}
				mu.Lock()
				if u.Version > winners[i].Version {
					winners[i] = u
				} else if u.Version == winners[i].Version {
					t.Errorf("both machines wrote version %d of frame %s", u.Version, f.ID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, w := range winners {
		for name, m := range map[string]*tier.Manager{"A": a, "B": b} {
			eventually(t, func() (bool, string) {
				ok, why := reads(m, w.ID, w.Data, w.Version)
				return ok, name + ": " + why
			})
		}
	}
	// PostgreSQL holds the winner; Redis, a cache, holds it or nothing
	// (a machine that promotes a frame from the cache drops the cache's
	// copy), never the loser.
	for name, rawURL := range map[string]string{"Redis": s.redis, "PostgreSQL": s.postgres} {
		tr, err := tier.OpenTier(ctx, rawURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range winners {
			r, ok, err := tr.Get(ctx, w.ID)
			if err == nil && !ok && name == "Redis" {
				continue
			}
			if err != nil || !ok || r.Version != w.Version || !bytes.Equal(r.Data, w.Data) {
				t.Errorf("%s holds frame %s at version %d (found %v, %v); want the winner, version %d", name, w.ID, r.Version, ok, err, w.Version)
			}
		}
		_ = tr.Close()
	}
}

// TestSharedRedisDownDuringReplication: while Redis is down, PostgreSQL
// still gets every write; Redis catches up when it returns.
func TestSharedRedisDownDuringReplication(t *testing.T) {
	s := newSharedServices(t)
	ru, err := url.Parse(s.redis)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.Start(ru.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	behind := *ru
	behind.Host = proxy.Addr()
	cfg := machineConfig(t.TempDir(), sharedServices{redis: behind.String(), postgres: s.postgres})
	a := openMachine(t, cfg)
	ctx := context.Background()

	proxy.Down()
	var frames []tier.Frame
	for i := range 20 {
		frames = append(frames, mustPut(t, a, frame("redis-down", "", i)))
	}
	pg, err := tier.OpenTier(ctx, s.postgres)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	redis, err := tier.OpenTier(ctx, s.redis)
	if err != nil {
		t.Fatal(err)
	}
	defer redis.Close()
	for _, f := range frames {
		eventually(t, func() (bool, string) {
			r, ok, err := pg.Get(ctx, f.ID)
			if err != nil || !ok || r.Version != f.Version {
				return false, fmt.Sprintf("PostgreSQL does not hold frame %s at version %d while Redis is down: found %v, %v", f.ID, f.Version, ok, err)
			}
			return true, ""
		})
	}
	if err := proxy.Resume(); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		eventually(t, func() (bool, string) {
			r, ok, err := redis.Get(ctx, f.ID)
			if err != nil || !ok || r.Version != f.Version {
				return false, fmt.Sprintf("Redis did not catch up with frame %s (version %d) after it returned: found %v, %v", f.ID, f.Version, ok, err)
			}
			return true, ""
		})
	}
}

// memMachines returns an opener of managers, each with a private
// in-memory tier 1 of its own and handles on two shared tiers (a cache,
// then a durable tier) that notify of changes, and the shared stores.
func memMachines() (open func(t testing.TB, hot *memdriver.Tier) *tier.Manager, shared []*memdriver.Tier) {
	shared = []*memdriver.Tier{memdriver.New(false), memdriver.New(true)}
	open = func(t testing.TB, hot *memdriver.Tier) *tier.Manager {
		h, _ := hot.Reopen()
		specs := []tier.TierSpec{{Name: "local", Tier: h}}
		for i, s := range shared {
			h, _ := s.Reopen()
			specs = append(specs, tier.TierSpec{Name: fmt.Sprintf("shared%d", i+2), Tier: h})
		}
		m, err := tier.New(context.Background(), tier.Config{ManualMaintenance: true, ReplicationLag: 20 * time.Millisecond,
			BreakerCooldown: time.Nanosecond, PromotionThreshold: 1, Logger: propertyLogger()}, specs...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	return open, shared
}

// TestPropertyTwoMachinesNeverGoBack runs random writes, reads and Warm on
// two managers sharing tiers that notify, against a model of every version
// written. A read returns a version that was written, never older than one
// the same machine has returned or written before; after both machines
// closed (replication flushed) and reopened, every read returns the newest.
func TestPropertyTwoMachinesNeverGoBack(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		open, _ := memMachines()
		hot := []*memdriver.Tier{memdriver.New(true), memdriver.New(true)}
		ms := []*tier.Manager{open(t, hot[0]), open(t, hot[1])}
		defer func() {
			for _, m := range ms {
				_ = m.Close()
			}
		}()
		session := tier.NewID()
		written := map[string]map[uint64]string{} // id -> version -> document
		newest := map[string]uint64{}
		seen := []map[string]uint64{{}, {}} // machine -> id -> newest version returned or written
		var ids []string
		machine := func(rt *rapid.T) int { return rapid.IntRange(0, 1).Draw(rt, "machine") }
		record := func(i int, f tier.Frame) {
			if written[f.ID] == nil {
				written[f.ID] = map[uint64]string{}
			}
			written[f.ID][f.Version] = string(f.Data)
			newest[f.ID] = max(newest[f.ID], f.Version)
			seen[i][f.ID] = max(seen[i][f.ID], f.Version)
		}
		check := func(rt *rapid.T, i int, id string, mustBeNewest bool) {
			f, err := ms[i].Get(ctx, id)
			if errors.Is(err, tier.ErrNotFound) && seen[i][id] == 0 && !mustBeNewest {
				return // not replicated to this machine yet
			}
			if err != nil {
				rt.Fatalf("machine %d: Get(%s): %v", i, id, err)
			}
			doc, ok := written[id][f.Version]
			switch {
			case !ok || doc != string(f.Data):
				rt.Fatalf("machine %d: frame %s returned version %d %s, never written", i, id, f.Version, f.Data)
			case f.Version < seen[i][id]:
				rt.Fatalf("machine %d: frame %s went back from version %d to %d (tier %d)", i, id, seen[i][id], f.Version, f.Level)
			case mustBeNewest && f.Version != newest[id]:
				rt.Fatalf("machine %d: frame %s at version %d after both flushed; want the newest, %d", i, id, f.Version, newest[id])
			}
			seen[i][id] = f.Version
		}
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				i := machine(rt)
				f, err := ms[i].Put(ctx, tier.Frame{SessionID: session, Data: fmt.Appendf(nil, `{"n":%d}`, rapid.IntRange(0, 1e6).Draw(rt, "n"))})
				if err != nil {
					rt.Fatalf("Put: %v", err)
				}
				record(i, f)
				ids = append(ids, f.ID)
			},
			"update": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				i, id := machine(rt), rapid.SampledFrom(ids).Draw(rt, "id")
				// Put, not UpdateData: the frame may not have reached this
				// machine yet.
				f, err := ms[i].Put(ctx, tier.Frame{ID: id, SessionID: session,
					Data: fmt.Appendf(nil, `{"n":%d,"by":%d}`, rapid.IntRange(0, 1e6).Draw(rt, "n"), i)})
				if err != nil {
					rt.Fatalf("Put of a new version: %v", err)
				}
				record(i, f)
			},
			"read": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				check(rt, machine(rt), rapid.SampledFrom(ids).Draw(rt, "id"), false)
			},
			"warm": func(rt *rapid.T) {
				if _, err := ms[machine(rt)].Warm(ctx, tier.WarmOptions{SessionID: session, Limit: 5}); err != nil {
					rt.Fatalf("Warm: %v", err)
				}
			},
			"sync": func(rt *rapid.T) {
				for i := range ms {
					if err := ms[i].Close(); err != nil {
						rt.Fatalf("Close: %v", err)
					}
				}
				for i := range ms {
					ms[i] = open(t, hot[i])
				}
				for _, id := range ids {
					check(rt, 0, id, true)
					check(rt, 1, id, true)
				}
			},
		})
	})
}

// TestCutInvalidationCopiesRevalidatedBeforeUse: while the change
// notifications of the shared tiers are cut, a copy A holds in its tier 1
// is compared with the shared tiers before it is served, so an update
// made on B meanwhile is what A returns.
func TestCutInvalidationCopiesRevalidatedBeforeUse(t *testing.T) {
	ctx := context.Background()
	open, shared := memMachines()
	a := open(t, memdriver.New(true))
	defer a.Close()
	bHot := memdriver.New(true)
	b := open(t, bHot)
	f := mustPut(t, b, frame("cut", tier.NewID(), 1))
	if err := b.Close(); err != nil { // replicated
		t.Fatal(err)
	}
	if _, err := a.Warm(ctx, tier.WarmOptions{SessionID: f.SessionID}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, a, f.ID); got.Level != 1 {
		t.Fatalf("setup: A reads the frame from tier %d after Warm; want 1", got.Level)
	}
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := st.Coherence.Revalidations
	for _, s := range shared {
		s.CutNotifications(errors.New("invalidation connection lost"))
	}
	defer func() {
		for _, s := range shared {
			s.CutNotifications(nil)
		}
	}()
	// A hears of the cut: it says the channel is down, or it revalidates
	// its copies (which are then fresh, as of now).
	waitFor(t, func() bool {
		st, err := a.Status(ctx)
		return err == nil && (st.Coherence.Channel == "down" || st.Coherence.Revalidations > before)
	})
	if st, err := a.Status(ctx); err != nil || st.Coherence.Channel != "down" {
		t.Errorf("Status.Coherence.Channel = %q (%v) while notifications are cut; want \"down\"", st.Coherence.Channel, err)
	}
	b = open(t, bHot)
	u, err := b.UpdateData(ctx, f.ID, []byte(`{"task":"updated on B while A heard nothing"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // replicated
		t.Fatal(err)
	}
	if ok, why := reads(a, f.ID, u.Data, u.Version); !ok {
		t.Fatalf("A served its copy unchecked while notifications were cut: %s", why)
	}
	for _, s := range shared {
		s.CutNotifications(nil)
	}
	if ok, why := reads(a, f.ID, u.Data, u.Version); !ok {
		t.Fatalf("after notifications returned: %s", why)
	}
}

// proxied returns rawURL with its host replaced by a fault proxy's.
func proxied(t *testing.T, rawURL string) (string, *faultproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	u.Host = p.Addr()
	return u.String(), p
}

// TestSharedInvalidationCutOnRealServices: A's connections to Redis and
// PostgreSQL, its invalidation channels with them, are cut while B
// updates frames A holds in its tier 1. Once they are back, A does not
// serve its old copies: they are revalidated before use.
func TestSharedInvalidationCutOnRealServices(t *testing.T) {
	s := newSharedServices(t)
	redisURL, redisProxy := proxied(t, s.redis)
	pgURL, pgProxy := proxied(t, s.postgres)
	a := openMachine(t, machineConfig(t.TempDir(), sharedServices{redis: redisURL, postgres: pgURL}))
	b := openMachine(t, machineConfig(t.TempDir(), s))
	ctx := context.Background()
	session := tier.NewID()
	var frames []tier.Frame
	for i := range 5 {
		frames = append(frames, mustPut(t, b, frame("cut", session, i)))
	}
	for _, f := range frames {
		eventually(t, func() (bool, string) { return reads(a, f.ID, f.Data, f.Version) })
	}
	if _, err := a.Warm(ctx, tier.WarmOptions{SessionID: session}); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if got := mustGet(t, a, f.ID); got.Level != 1 {
			t.Fatalf("setup: A reads %s from tier %d after Warm; want its tier 1", f.ID, got.Level)
		}
	}
	redisProxy.Down()
	pgProxy.Down()
	var updated []tier.Frame
	for i, f := range frames {
		u, err := b.UpdateData(ctx, f.ID, fmt.Appendf(nil, `{"task":"updated on B during the cut","n":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		updated = append(updated, u)
	}
	if err := b.Close(); err != nil { // replicated
		t.Fatal(err)
	}
	if err := redisProxy.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := pgProxy.Resume(); err != nil {
		t.Fatal(err)
	}
	for _, u := range updated {
		eventually(t, func() (bool, string) { return reads(a, u.ID, u.Data, u.Version) })
	}
	for _, u := range updated {
		if ok, why := reads(a, u.ID, u.Data, u.Version); !ok {
			t.Fatalf("A went back to its old copy: %s", why)
		}
	}
}

// TestSharedCopiesRevalidatedAfterARestart: B updates frames while A,
// which holds copies of them in its tier 1, is not running. The first
// reads of the restarted A return B's versions: no notification covered
// that time, so A's copies are compared with the shared tiers first.
func TestSharedCopiesRevalidatedAfterARestart(t *testing.T) {
	s := newSharedServices(t)
	dirA := t.TempDir()
	a := openMachine(t, machineConfig(dirA, s))
	b := openMachine(t, machineConfig(t.TempDir(), s))
	ctx := context.Background()
	session := tier.NewID()
	var frames []tier.Frame
	for i := range 5 {
		frames = append(frames, mustPut(t, b, frame("restart", session, i)))
	}
	for _, f := range frames {
		eventually(t, func() (bool, string) { return reads(a, f.ID, f.Data, f.Version) })
	}
	if _, err := a.Warm(ctx, tier.WarmOptions{SessionID: session}); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if got := mustGet(t, a, f.ID); got.Level != 1 {
			t.Fatalf("setup: A reads %s from tier %d after Warm; want its tier 1", f.ID, got.Level)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var updated []tier.Frame
	for i, f := range frames {
		u, err := b.UpdateData(ctx, f.ID, fmt.Appendf(nil, `{"task":"updated on B while A was off","n":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		updated = append(updated, u)
	}
	if err := b.Close(); err != nil { // replicated
		t.Fatal(err)
	}
	a = openMachine(t, machineConfig(dirA, s))
	for _, u := range updated {
		if ok, why := reads(a, u.ID, u.Data, u.Version); !ok {
			t.Fatalf("the restarted A served its old copy: %s", why)
		}
	}
}
