package tier_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// memChain describes a chain of in-memory tiers for a test.
type memChain struct {
	durable []bool
	limits  []tier.Limits
	cfg     tier.Config
}

// open returns a manager over new in-memory tiers and handles on the same
// stores for looking behind the manager's back.
func (c memChain) open(t *testing.T) (*tier.Manager, []*memdriver.Tier) {
	t.Helper()
	ctx := context.Background()
	var specs []tier.TierSpec
	var peek []*memdriver.Tier
	name := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	for i, durable := range c.durable {
		url := fmt.Sprintf("mem://%s-%d?durable=%t", sanitize(name), i, durable)
		tr, err := tier.OpenTier(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tier.OpenTier(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		peek = append(peek, p.(*memdriver.Tier))
		spec := tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: tr}
		if i < len(c.limits) {
			spec.Limits = c.limits[i]
		}
		specs = append(specs, spec)
	}
	cfg := c.cfg
	if cfg.BreakerCooldown == 0 {
		cfg.BreakerCooldown = time.Millisecond
	}
	// Tests run maintenance themselves.
	cfg.ManualMaintenance = true
	m, err := tier.New(ctx, cfg, specs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, peek
}

func sanitize(s string) string {
	out := []rune{}
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			out = append(out, r)
		}
	}
	return string(out)
}

func frame(project, session string, n int) tier.Frame {
	return tier.Frame{
		SessionID: session,
		ProjectID: project,
		Data:      []byte(fmt.Sprintf(`{"task":"step %d of the refactor","outputs":{"files":["f%d.go"]}}`, n, n)),
	}
}

func mustPut(t *testing.T, m *tier.Manager, f tier.Frame) tier.Frame {
	t.Helper()
	out, err := m.Put(context.Background(), f)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return out
}

func mustGet(t *testing.T, m *tier.Manager, id string) tier.Frame {
	t.Helper()
	f, err := m.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return f
}

// held reports whether the store behind p holds id.
func held(t *testing.T, p *memdriver.Tier, id string) (driver.Record, bool) {
	t.Helper()
	r, ok, err := p.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("peek %s: %v", id, err)
	}
	return r, ok
}

func usage(t *testing.T, p *memdriver.Tier) driver.Usage {
	t.Helper()
	u, err := p.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// reopen opens a new manager over the stores behind peek.
func reopen(t *testing.T, peek []*memdriver.Tier, first tier.Limits, policy tier.Policy) *tier.Manager {
	t.Helper()
	var specs []tier.TierSpec
	for i, p := range peek {
		h, err := p.Reopen()
		if err != nil {
			t.Fatal(err)
		}
		spec := tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: h}
		if i == 0 {
			spec.Limits = first
		}
		specs = append(specs, spec)
	}
	m, err := tier.New(context.Background(), tier.Config{ManualMaintenance: true, EvictionStrategy: policy}, specs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}
