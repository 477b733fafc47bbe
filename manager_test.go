package tier_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func TestPutGetRoundTripIsByteExact(t *testing.T) {
	m, _ := memChain{durable: []bool{true}}.open(t)
	doc := "{ \"b\" : 1,\n \"a\": [true, null, \"\\u00e9\"] }"
	f := mustPut(t, m, tier.Frame{ProjectID: "p", Data: []byte(doc)})
	u, err := uuid.Parse(f.ID)
	if err != nil || u.Version() != 7 {
		t.Fatalf("assigned ID %q is not a UUIDv7", f.ID)
	}
	got := mustGet(t, m, f.ID)
	if string(got.Data) != doc {
		t.Fatalf("Get returned %q, want %q", got.Data, doc)
	}
	if got.Level != 1 || got.Version != f.Version || got.Size != int64(len(doc)) || got.Checksum != driver.Checksum([]byte(doc)) {
		t.Fatalf("Get = level %d version %d size %d checksum %x; want level 1 and Put's %d %d %x",
			got.Level, got.Version, got.Size, got.Checksum, f.Version, f.Size, f.Checksum)
	}
}

func TestPutBumpsVersion(t *testing.T) {
	m, _ := memChain{durable: []bool{true}}.open(t)
	f := mustPut(t, m, frame("p", "", 1))
	f.Data = []byte(`{"task":"changed"}`)
	g := mustPut(t, m, f)
	if g.Version <= f.Version {
		t.Fatalf("second Put has version %d, first %d: want it greater", g.Version, f.Version)
	}
	if got := mustGet(t, m, f.ID); string(got.Data) != `{"task":"changed"}` || got.Version != g.Version {
		t.Fatalf("Get after update = %s v%d", got.Data, got.Version)
	}
}

func TestInvalidFramesAreRefusedAndWriteNothing(t *testing.T) {
	m, peek := memChain{durable: []bool{true}}.open(t)
	ctx := context.Background()
	for name, f := range map[string]tier.Frame{
		"bad ID":         {ID: "not-a-uuid", Data: []byte(`{}`)},
		"bad session ID": {SessionID: "run-42", Data: []byte(`{}`)},
		"bad parent ID":  {ParentID: "123", Data: []byte(`{}`)},
		"invalid JSON":   {Data: []byte(`{"task": }`)},
		"empty document": {},
		"oversize":       {Data: []byte(`"` + strings.Repeat("x", tier.DefaultMaxFrameSize) + `"`)},
		"long project":   {ProjectID: strings.Repeat("p", 300), Data: []byte(`{}`)},
	} {
		_, err := m.Put(ctx, f)
		if !errors.Is(err, tier.ErrInvalidFrame) {
			t.Errorf("%s: Put error = %v, want ErrInvalidFrame", name, err)
			continue
		}
		if strings.Count(err.Error(), "tier: ") > 1 {
			t.Errorf("%s: Put error %q says \"tier: \" more than once", name, err)
		}
		if name == "oversize" && !strings.Contains(err.Error(), "MaxFrameSize") {
			t.Errorf("Put error %q does not name the setting that limits a document's size", err)
		}
	}
	// A batch with one bad frame writes none of them.
	_, err := m.PutBatch(ctx, []tier.Frame{frame("p", "", 1), {Data: []byte(`nope`)}})
	if !errors.Is(err, tier.ErrInvalidFrame) || !strings.Contains(err.Error(), "frame 2 of 2") {
		t.Fatalf("PutBatch error = %v, want ErrInvalidFrame naming frame 2", err)
	}
	if u := usage(t, peek[0]); u.Frames != 0 {
		t.Fatalf("tier holds %d frames after refused writes, want 0", u.Frames)
	}
	if _, err := m.Get(ctx, "nope"); !errors.Is(err, tier.ErrInvalidFrame) {
		t.Fatalf("Get of a bad ID = %v, want ErrInvalidFrame", err)
	}
}

func TestGetMissingIsNotFound(t *testing.T) {
	m, _ := memChain{durable: []bool{true, true}}.open(t)
	_, err := m.Get(context.Background(), tier.NewID())
	if !errors.Is(err, tier.ErrNotFound) || errors.Is(err, tier.ErrUnavailable) {
		t.Fatalf("Get of a missing frame = %v, want ErrNotFound only", err)
	}
}

func TestGetWithLowerTierDownIsUnavailableNotNotFound(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}}.open(t)
	peek[1].SetFailure(errors.New("connection refused"))
	_, err := m.Get(context.Background(), tier.NewID())
	if !errors.Is(err, tier.ErrUnavailable) || errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("Get with tier 2 down = %v, want ErrUnavailable and not ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "t2") {
		t.Fatalf("error %q does not name the tier that is down", err)
	}
	// Frames of the first tier are served as usual.
	f := mustPut(t, m, frame("p", "", 1))
	mustGet(t, m, f.ID)
}

func TestCorruptCopyIsNeverReturnedAndIsRepaired(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 1}}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// a is in tier 2 now. Put a copy in tier 1 and damage it.
	r, ok := held(t, peek[1], a.ID)
	if !ok {
		t.Fatal("frame was not demoted to tier 2")
	}
	if err := peek[0].Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	peek[0].Corrupt(a.ID, []byte(`{"evil":1}`))
	got := mustGet(t, m, a.ID)
	if string(got.Data) != string(a.Data) || got.Level != 2 {
		t.Fatalf("Get returned %s from tier %d, want the good copy from tier 2", got.Data, got.Level)
	}
	if err := m.Close(); err != nil { // waits for the repair
		t.Fatal(err)
	}
	if r, ok := held(t, peek[0], a.ID); !ok || string(r.Data) != string(a.Data) {
		t.Fatalf("corrupt copy in tier 1 was not repaired: %s %v", r.Data, ok)
	}
}

func TestOnlyCorruptCopiesGiveErrCorrupt(t *testing.T) {
	m, peek := memChain{durable: []bool{true}}.open(t)
	f := mustPut(t, m, frame("p", "", 1))
	peek[0].Corrupt(f.ID, []byte(`{"task":"tampered"}`))
	_, err := m.Get(context.Background(), f.ID)
	if !errors.Is(err, tier.ErrCorrupt) {
		t.Fatalf("Get of a corrupt only copy = %v, want ErrCorrupt", err)
	}
}

func TestDeleteRemovesEveryCopy(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 1}}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := m.Delete(ctx, a.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if _, err := m.Get(ctx, a.ID); !errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
	for i, p := range peek {
		if _, ok := held(t, p, a.ID); ok {
			t.Fatalf("tier %d still holds the deleted frame", i+1)
		}
	}
}

func TestDeleteWhileTierDownIsFinishedLaterAndNeverResurrects(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 1}}}.open(t)
	ctx := context.Background()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	peek[1].SetFailure(errors.New("down"))
	if err := m.Delete(ctx, a.ID); err != nil {
		t.Fatalf("Delete with tier 2 down: %v (it must be postponed, not refused)", err)
	}
	st, _ := m.Status(ctx)
	if st.PendingChanges != 1 {
		t.Fatalf("Status.PendingChanges = %d, want 1", st.PendingChanges)
	}
	peek[1].SetFailure(nil)
	time.Sleep(2 * time.Millisecond) // the breaker's cooldown (1ms in these tests)
	// Tier 2 is back but has not been told yet: the frame stays deleted.
	if _, err := m.Get(ctx, a.ID); !errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("Get of a frame deleted while its tier was down = %v, want ErrNotFound", err)
	}
	rep, err := m.Maintain(ctx)
	if err != nil || rep.OutboxApplied != 1 {
		t.Fatalf("Maintain = %+v, %v; want the postponed delete applied", rep, err)
	}
	if _, ok := held(t, peek[1], a.ID); ok {
		t.Fatal("tier 2 still holds the frame after the outbox replay")
	}
	// A new Put of the same ID is a new frame, not a resurrection.
	a.Data = []byte(`{"task":"reborn"}`)
	mustPut(t, m, a)
	if got := mustGet(t, m, a.ID); string(got.Data) != `{"task":"reborn"}` {
		t.Fatalf("Get after re-Put = %s", got.Data)
	}
}

func TestClosedManager(t *testing.T) {
	m, _ := memChain{durable: []bool{true}}.open(t)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Close(); !errors.Is(err, tier.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if _, err := m.Put(ctx, frame("p", "", 1)); !errors.Is(err, tier.ErrClosed) {
		t.Fatalf("Put after Close = %v", err)
	}
	if _, err := m.Get(ctx, tier.NewID()); !errors.Is(err, tier.ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	if _, err := m.Query(ctx, tier.Query{}); !errors.Is(err, tier.ErrClosed) {
		t.Fatalf("Query after Close = %v", err)
	}
	if _, err := m.Status(ctx); !errors.Is(err, tier.ErrClosed) {
		t.Fatalf("Status after Close = %v", err)
	}
}
