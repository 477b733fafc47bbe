package tier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestUnknownSchemeNamesTheForgottenImport(t *testing.T) {
	_, err := tier.OpenTier(context.Background(), "cassandra://host/ks")
	if !errors.Is(err, tier.ErrUnknownDriver) || !strings.Contains(err.Error(), `unknown tier driver "cassandra" (forgotten import?)`) {
		t.Fatalf("OpenTier of an unknown scheme = %v", err)
	}
	cfg := tier.Config{Tiers: []tier.TierSpec{{URL: "cassandra://host/ks"}}}
	if _, err := tier.Open(context.Background(), cfg); !errors.Is(err, tier.ErrUnknownDriver) {
		t.Fatalf("Open with an unknown scheme = %v", err)
	}
}

func TestDriversIsSortedAndRegisterRefusesDuplicates(t *testing.T) {
	names := tier.Drivers()
	if !slices.IsSorted(names) || !slices.Contains(names, "mem") {
		t.Fatalf("Drivers() = %v, want sorted and containing mem", names)
	}
	for name, d := range map[string]driver.Driver{"mem": memdriver.Driver{}, "nil-driver": nil} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			tier.Register(name, d)
		}()
	}
}

func TestBadTierURLParametersAreRejected(t *testing.T) {
	_, err := tier.OpenTier(context.Background(), "mem://x?colour=blue")
	if !errors.Is(err, driver.ErrBadDSN) {
		t.Fatalf("unknown parameter: %v, want ErrBadDSN", err)
	}
}
