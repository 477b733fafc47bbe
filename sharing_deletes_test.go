package tier_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

// Deletes between machines: the shared PostgreSQL remembers them
// (tombstones), so a machine that still holds a copy of a frame another
// machine deleted drops it instead of writing it back, whether it had not
// replicated the frame yet or missed the change notification.

// notFoundOn reports whether m answers ErrNotFound for id.
func notFoundOn(m *tier.Manager, id string) (bool, string) {
	f, err := m.Get(context.Background(), id)
	if errors.Is(err, tier.ErrNotFound) {
		return true, ""
	}
	return false, fmt.Sprintf("Get(%s) = %s (version %d, tier %d), %v; want ErrNotFound", id, f.Data, f.Version, f.Level, err)
}

// heldBy reports whether the tier at url holds id, from outside the
// managers.
func heldBy(t *testing.T, url, id string) bool {
	t.Helper()
	ctx := context.Background()
	tr, err := tier.OpenTier(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tr.Close() }()
	_, ok, err := tr.Get(ctx, id)
	if err != nil {
		t.Fatalf("look into %s: %v", url, err)
	}
	return ok
}

func TestSharedDeleteOfAFrameNotYetReplicatedStaysDeleted(t *testing.T) {
	s := newSharedServices(t)
	cfgA := machineConfig(t.TempDir(), s)
	cfgA.ReplicationLag = time.Hour // A's writes wait in its queue
	a := openMachine(t, cfgA)
	b := openMachine(t, machineConfig(t.TempDir(), s))
	ctx := context.Background()
	var frames []tier.Frame
	for i := range 5 {
		frames = append(frames, mustPut(t, a, frame("raced", "", i)))
	}
	// B deletes the frames (their IDs reached it another way) before A
	// replicated them: B cannot see them, the shared tiers remember the
	// delete.
	for _, f := range frames {
		if err := b.Delete(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := tier.FlushReplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		for _, url := range []string{s.postgres, s.redis} {
			if heldBy(t, url, f.ID) {
				t.Fatalf("A's replication wrote frame %s, deleted on B, back into %s", f.ID, url)
			}
		}
		for name, m := range map[string]*tier.Manager{"A": a, "B": b} {
			if ok, why := notFoundOn(m, f.ID); !ok {
				t.Fatalf("machine %s: %s", name, why)
			}
		}
	}
	// A frame A writes again after the delete is a new write: it lands.
	again := frames[0]
	again.Data = []byte(`{"task":"written again after the delete"}`)
	again = mustPut(t, a, again)
	if err := tier.FlushReplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() (bool, string) { return reads(b, again.ID, again.Data, again.Version) })
}

func TestSharedDeleteMissedWhileOffIsSeenAtRestart(t *testing.T) {
	s := newSharedServices(t)
	dirA := t.TempDir()
	a := openMachine(t, machineConfig(dirA, s))
	b := openMachine(t, machineConfig(t.TempDir(), s))
	ctx := context.Background()
	var frames []tier.Frame
	for i := range 5 {
		frames = append(frames, mustPut(t, a, frame("missed", "", i)))
	}
	if err := a.Close(); err != nil { // replicated, and A's copies stay in its tier 1
		t.Fatal(err)
	}
	for _, f := range frames {
		if ok, why := reads(b, f.ID, f.Data, f.Version); !ok {
			t.Fatal(why)
		}
		if err := b.Delete(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	// A was off: no notification reached it. Its copies must not come
	// back, neither to A's readers nor, by replication, to B's.
	a = openMachine(t, machineConfig(dirA, s))
	if _, err := a.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tier.FlushReplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		for name, m := range map[string]*tier.Manager{"A": a, "B": b} {
			if ok, why := notFoundOn(m, f.ID); !ok {
				t.Fatalf("machine %s after A's restart: %s", name, why)
			}
		}
	}
}

func TestSharedUpdateAfterAReadWinsOverAClockAhead(t *testing.T) {
	a, b := twoMachines(t)
	// A's clock runs an hour ahead of B's.
	tier.SetClock(a, func() time.Time { return time.Now().Add(time.Hour) })
	ctx := context.Background()
	f := mustPut(t, a, frame("clocks", "", 1))
	if err := tier.FlushReplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	read := mustGet(t, b, f.ID)
	if read.Version != f.Version {
		t.Fatalf("B read version %d, want A's %d", read.Version, f.Version)
	}
	u, err := b.UpdateData(ctx, f.ID, []byte(`{"task":"updated on B, whose clock is behind"}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.Version <= f.Version {
		t.Fatalf("B's update after reading version %d got version %d: it would lose to the older write", f.Version, u.Version)
	}
	if err := tier.FlushReplication(ctx, b); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() (bool, string) { return reads(a, u.ID, u.Data, u.Version) })
}
