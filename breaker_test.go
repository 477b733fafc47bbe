package tier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// gatedTier holds its next Get until release is called: a probe of a
// tier that has just come back, caught in flight.
type gatedTier struct {
	*memdriver.Tier
	entered chan struct{} // receives when the held Get has started
	gate    chan error    // the held Get returns what is sent here
	armed   chan struct{} // holds a token while the next Get is to be held
}

func newGatedTier() *gatedTier {
	return &gatedTier{Tier: memdriver.New(true), entered: make(chan struct{}, 1),
		gate: make(chan error), armed: make(chan struct{}, 1)}
}

func (g *gatedTier) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	select {
	case <-g.armed:
		g.entered <- struct{}{}
		if err := <-g.gate; err != nil {
			return driver.Record{}, false, err
		}
	default:
	}
	return g.Tier.Get(ctx, id)
}

// TestCallsBesideAProbeWaitForItsOutcome checks that once a tier is back,
// a read that runs while another call probes the tier is answered by the
// tier (after the probe succeeds), not failed as if the tier were down;
// and that when the probe fails, the reads beside it fail fast with
// ErrUnavailable.
func TestCallsBesideAProbeWaitForItsOutcome(t *testing.T) {
	ctx := context.Background()
	// Long enough that a read started beside the probe, but scheduled
	// only after the probe failed (a loaded machine), still finds the
	// breaker open instead of probing again itself.
	const cooldown = 200 * time.Millisecond
	lower := newGatedTier()
	m, err := tier.New(ctx, tier.Config{ManualMaintenance: true, NoReplication: true, NoPromotion: true, NoPrefetch: true,
		BreakerCooldown: cooldown},
		tier.TierSpec{Name: "t1", Tier: memdriver.New(true)}, tier.TierSpec{Name: "t2", Tier: lower})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	var ids []string
	for i := range 2 {
		data := frame("p", "", i).Data
		rec := driver.Record{Meta: driver.Meta{ID: tier.NewID(), ProjectID: "p", Version: 1,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Size: int64(len(data)),
			Checksum: driver.Checksum(data)}, Data: data}
		if err := lower.Tier.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}

	for _, probe := range []struct {
		name    string
		outcome error
		want    error
	}{
		{"probe succeeds", nil, nil},
		{"probe fails", driver.ErrUnavailable, tier.ErrUnavailable},
	} {
		t.Run(probe.name, func(t *testing.T) {
			// Trip the breaker, bring the tier back, wait out the cooldown.
			lower.SetFailure(errors.New("connection refused"))
			if _, err := m.Get(ctx, ids[0]); !errors.Is(err, tier.ErrUnavailable) {
				t.Fatalf("Get with the tier down = %v, want ErrUnavailable", err)
			}
			lower.SetFailure(nil)
			time.Sleep(cooldown + 50*time.Millisecond)

			lower.armed <- struct{}{}
			probeDone := make(chan error, 1)
			go func() { _, err := m.Get(ctx, ids[0]); probeDone <- err }()
			<-lower.entered // the probe is in flight
			besideDone := make(chan error, 1)
			go func() { _, err := m.Get(ctx, ids[1]); besideDone <- err }()
			select {
			case err := <-besideDone:
				lower.gate <- probe.outcome
				t.Fatalf("a read beside the probe returned %v before the probe ended", err)
			case <-time.After(50 * time.Millisecond):
				lower.gate <- probe.outcome
			}
			for what, done := range map[string]chan error{"probe": probeDone, "read beside it": besideDone} {
				if err := <-done; !errors.Is(err, probe.want) || (probe.want == nil && err != nil) {
					t.Fatalf("%s = %v, want %v", what, err, probe.want)
				}
			}
		})
	}
}
